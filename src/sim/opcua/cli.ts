/**
 * `labrig sim opcua [--port N] [--nodes FILE] [--update-ms N]`: start the OPC UA simulator, print
 * its endpoint as the first line of stdout, and run until SIGINT or SIGTERM.
 * @module
 */
import { startFailure } from '../shared/cli.js';
import { readFile } from 'node:fs/promises';
import { routeOpcuaLogs } from '../../protocols/opcua/logging.js';
import { OPCUA_SIM_USAGE } from './family.js';
import { startOpcuaSim, type OpcuaSimOptions } from './server.js';

const USAGE = `${OPCUA_SIM_USAGE}

  --port N        TCP port on 127.0.0.1 (default 0: pick a free one)
  --nodes FILE    JSON array of nodes, e.g.
                  [{ "browseName": "Temperature", "nodeId": "ns=1;s=Temperature", "dataType": "Double",
                     "value": 21.5, "writable": false, "units": "°C", "range": [0, 100], "simulate": "sine" }]
                  (default: a set of sensors, setpoints, a counter, booleans, strings and arrays)
  --update-ms N   period of the simulation steps in ms (default 100)

Prints the endpoint (opc.tcp://127.0.0.1:PORT) on the first line, then runs until interrupted.`;

function parseArgs(args: string[]): { port?: number; nodesFile?: string; updateMs?: number; help?: boolean } {
  const out: { port?: number; nodesFile?: string; updateMs?: number; help?: boolean } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        out.help = true;
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port: expected 0..65535, got ${v}`);
        out.port = Number(v);
        break;
      }
      case '--nodes':
        out.nodesFile = value();
        break;
      case '--update-ms': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 10) throw new Error(`--update-ms: expected an integer ≥ 10, got ${v}`);
        out.updateMs = Number(v);
        break;
      }
      default:
        throw new Error(`unknown argument '${a}'`);
    }
  }
  return out;
}

/**
 * Run `labrig sim opcua` with `args`; resolves to the exit code: 0 after a clean stop on
 * SIGINT/SIGTERM, 1 when the simulator could not start, 2 for bad arguments.
 */
export async function simOpcuaCli(args: string[]): Promise<number> {
  // node-opcua prints on stdout; the endpoint must be the first line there.
  routeOpcuaLogs('stderr');
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(args);
  } catch (err) {
    process.stderr.write(`labrig sim opcua: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options: OpcuaSimOptions = {};
  if (parsed.port !== undefined) options.port = parsed.port;
  if (parsed.updateMs !== undefined) options.updateMs = parsed.updateMs;
  if (parsed.nodesFile !== undefined) {
    try {
      options.nodes = JSON.parse(await readFile(parsed.nodesFile, 'utf8')) as OpcuaSimOptions['nodes'];
    } catch (err) {
      process.stderr.write(`labrig sim opcua: cannot read ${parsed.nodesFile}: ${(err as Error).message}\n`);
      return 2;
    }
  }
  // Listen for signals before starting, so an early Ctrl-C still shuts the server down cleanly.
  let stop: () => void = () => {};
  let stopped = false;
  const stopping = new Promise<void>((resolve) => {
    stop = () => {
      stopped = true;
      resolve();
    };
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let sim;
    try {
      sim = await startOpcuaSim(options);
    } catch (err) {
      const f = startFailure((err as { cause?: unknown }).cause ?? err, 'labrig sim opcua');
      process.stderr.write(`${(err as { code?: string }).code === 'INVALID_INPUT' ? `labrig sim opcua: ${(err as Error).message}` : f.line}\n`);
      return (err as { code?: string }).code === 'INVALID_INPUT' || f.usage ? 2 : 1;
    }
    if (stopped) {
      await sim.close();
      return 0;
    }
    process.stdout.write(`${sim.endpoint}\n`);
    process.stderr.write(`labrig sim opcua: serving ${sim.nodes.length} nodes under ns=1;s=Sim; Ctrl-C to stop\n`);
    await stopping;
    await sim.close();
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
