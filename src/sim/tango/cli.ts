/**
 * `labrig sim tango [--events] [--port N]`: start TangoTest (or, with `--events`, labrig's
 * PyTango event server) on 127.0.0.1, print its address as the first line of stdout, and run
 * until SIGINT or SIGTERM.
 * @module
 */
import { startFailure, untilSignal } from '../shared/cli.js';
import { TANGO_SIM_USAGE } from './family.js';
import { startTangoEventServer, startTangoTest, tangoTestAvailable, type TangoServer } from './server.js';

const USAGE = `${TANGO_SIM_USAGE}

  --events   labrig's PyTango event server (labrig/events/1: counter, setpoint, period_ms,
             noevents; commands Start, Stop, Reset) instead of Debian's TangoTest (sys/tg_test/1)
  --port N   TCP port on 127.0.0.1 (default: a free one)

Prints the address (tango://127.0.0.1:PORT/<device>#dbase=no) on the first line, then runs until
interrupted. Needs Debian's tango-test and python3-tango.`;

/** Run `labrig sim tango` with `args`; resolves to the exit code (0 clean stop, 1 could not start, 2 bad arguments). */
export async function simTangoCli(args: string[]): Promise<number> {
  let events = false;
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a === '--events') events = true;
    else if (a === '--port' || a.startsWith('--port=')) {
      const v = a.includes('=') ? a.slice(7) : args[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
        process.stderr.write(`labrig sim tango: --port: expected 1..65535, got ${v ?? 'nothing'}\n\n${USAGE}\n`);
        return 2;
      }
      port = Number(v);
    } else {
      process.stderr.write(`labrig sim tango: unknown argument '${a}'\n\n${USAGE}\n`);
      return 2;
    }
  }
  if (!events && !tangoTestAvailable()) {
    process.stderr.write('labrig sim tango: TangoTest is not installed (Debian: apt-get install tango-test python3-tango)\n');
    return 1;
  }
  const signal = untilSignal();
  let server: TangoServer;
  try {
    server = events ? await startTangoEventServer(port === undefined ? {} : { port }) : await startTangoTest(port === undefined ? {} : { port });
  } catch (err) {
    process.stderr.write(`${startFailure(err, 'labrig sim tango').line}\n`);
    return 1;
  }
  process.stdout.write(`${server.address}\n`);
  process.stderr.write(`labrig sim tango: ${server.device} (pid ${server.pid}); Ctrl-C to stop\n`);
  await signal;
  await server.close();
  return 0;
}
