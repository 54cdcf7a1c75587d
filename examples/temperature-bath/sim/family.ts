/** The bath simulator: the real bytes on TCP and/or a pty, and its descriptor for `sim:bath` and `labrig sim bath`. */
import { defineSimulator, lineResponder, parseSimArgs, runSimCli, serveLineSim, type CommonSimOptions, type LineSimTransports } from 'labrig/sim';
import { BathModel } from './model.js';

/** A running bath simulator. */
export interface BathSim {
  /** Driver URI, e.g. `bath+tcp://127.0.0.1:PORT` or `bath+serial:///tmp/.../tty`. */
  readonly uri: string;
  readonly model: BathModel;
  close(): Promise<void>;
}

/** Start a bath simulator on TCP (default) or a pty. */
export async function startBathSim(options: { tcp?: string; pty?: boolean; tauMs?: number } = {}): Promise<BathSim> {
  const model = new BathModel(options.tauMs);
  const lines = { terminators: ['\r'], onLine: (line: string) => model.onLine(line) };
  const t: LineSimTransports = await serveLineSim({
    tcp: options.tcp,
    pty: options.pty,
    what: 'bath sim',
    faults: undefined,
    onDown: () => undefined,
    accept: () => ({ respond: lineResponder(lines), close: () => undefined }),
    ptyResponder: () => lines,
  });
  const uri = t.tcp ? `bath+${t.tcp}` : `bath+serial://${t.pty!.path}`;
  return { uri, model, close: () => t.close() };
}

/** The usage line of `labrig sim bath`. */
const BATH_SIM_USAGE = 'usage: labrig sim bath [--tcp HOST:PORT | --pty] [--tau-ms N]';

/** Options of `labrig sim bath`. */
interface BathSimArgs extends CommonSimOptions {
  tauMs?: number;
}

/**
 * `labrig sim bath`: serve the bath on TCP (default `127.0.0.1:0`, a free port) or a pty, print
 * its driver URI on the first line, and run until Ctrl-C (labrig's shared simulator CLI).
 */
function simBathCli(args: string[]): Promise<number> {
  return runSimCli<BathSimArgs, BathSim>(args, {
    parse: (a) => {
      const o: BathSimArgs = {};
      return parseSimArgs(a, o, {
        usage: BATH_SIM_USAGE,
        exclusive: true,
        option: (flag, value, fail) => {
          if (flag !== '--tau-ms') return false;
          const n = Number(value());
          if (!Number.isInteger(n) || n < 1 || n > 600_000) fail('--tau-ms takes an integer 1..600000');
          o.tauMs = n;
          return true;
        },
      });
    },
    start: (o) => startBathSim({ ...(o.pty ? { pty: true } : { tcp: o.tcp ?? '127.0.0.1:0' }), ...(o.tauMs === undefined ? {} : { tauMs: o.tauMs }) }),
    label: 'labrig sim bath',
    announce: (sim) => {
      console.log(sim.uri);
      console.error('labrig: temperature bath simulator; Ctrl-C stops it');
    },
  });
}

/** `sim:bath?tauMs=300` in rigs. */
export const bathSimulator = defineSimulator({
  name: 'bath',
  family: 'bath',
  title: 'temperature bath (guide example)',
  params: { tauMs: { type: 'integer', min: 1, max: 600_000, units: 'ms', doc: 'time constant of the bath' } },
  async start(params: { tauMs?: number }) {
    const sim = await startBathSim({ ...(params.tauMs === undefined ? {} : { tauMs: params.tauMs }) });
    return { uri: sim.uri, handle: sim, close: () => sim.close() };
  },
  usage: BATH_SIM_USAGE,
  cli: simBathCli,
});
