/**
 * `labrig sim modbus [--tcp HOST:PORT | --pty] [--map FILE] [--baud N]`: run the generic Modbus
 * simulator until SIGINT or SIGTERM. The first line on stdout is the address to connect to
 * (with both --tcp and --pty, the TCP address, then the RTU one on the second line).
 * @module
 */
import { startFailure } from '../shared/cli.js';
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../../core/errors.js';
import type { SimMap } from './map.js';
import { MODBUS_SIM_USAGE } from './family.js';
import { startModbusSim } from './sim.js';

const USAGE = `${MODBUS_SIM_USAGE}
  --tcp HOST:PORT  serve Modbus TCP (default 127.0.0.1:0; port 0 picks a free port)
  --pty            serve Modbus RTU behind a new pseudo-terminal (/dev/pts/N)
  --map FILE       JSON register map (default: 200 holding registers, 32 input registers,
                   32 coils, 32 discrete inputs, with live temperature/pressure/uptime values)
  --baud N         baud rate written into the RTU address (default 9600)
Prints the address on its first line and runs until interrupted (SIGINT/SIGTERM).`;

/** Where the CLI writes and what stops it (for tests; defaults: stdout, stderr, SIGINT/SIGTERM). */
export interface SimCliIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Stop when this aborts (in addition to SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

interface Parsed {
  tcp?: string;
  pty: boolean;
  map?: string;
  baud?: number;
  help: boolean;
}

function parseArgs(args: string[]): Parsed {
  const p: Parsed = { pty: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new InvalidInputError({ what: flag, value: v, reason: 'needs a value' });
      return v;
    };
    switch (flag) {
      case '--tcp':
        p.tcp = value();
        break;
      case '--pty':
        p.pty = true;
        break;
      case '--map':
        p.map = value();
        break;
      case '--baud': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1) throw new InvalidInputError({ what: '--baud', value: v, reason: 'must be a positive integer' });
        p.baud = n;
        break;
      }
      case '-h':
      case '--help':
        p.help = true;
        break;
      default:
        throw new InvalidInputError({ what: 'labrig sim modbus', value: a, reason: 'unknown argument' });
    }
  }
  return p;
}

/** Run `labrig sim modbus`; resolves with the exit code (0 after a clean stop, 2 on bad usage, 1 on failure). */
export async function simModbusCli(args: string[], io: SimCliIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  let parsed: Parsed;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    err(`labrig sim modbus: ${(e as Error).message}`);
    err(USAGE);
    return 2;
  }
  if (parsed.help) {
    out(USAGE);
    return 0;
  }
  let map: SimMap | undefined;
  if (parsed.map !== undefined) {
    try {
      map = JSON.parse(await readFile(parsed.map, 'utf8')) as SimMap;
    } catch (e) {
      err(`labrig sim modbus: cannot read the map ${parsed.map}: ${(e as Error).message}`);
      return 2;
    }
  }
  let sim;
  try {
    sim = await startModbusSim({
      ...(parsed.tcp === undefined ? {} : { tcp: parsed.tcp }),
      pty: parsed.pty,
      ...(parsed.baud === undefined ? {} : { baud: parsed.baud }),
      ...(map === undefined ? {} : { map }),
    });
  } catch (e) {
    const f = startFailure(e, 'labrig sim modbus');
    err(f.line);
    return f.usage ? 2 : 1;
  }
  for (const a of sim.addresses) out(a);
  err('labrig sim modbus: serving; stop with Ctrl-C');
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await sim.close();
  return 0;
}
