/**
 * Issue 15: a user's mistake gets one line naming the problem and the fix, no stack trace, exit
 * 2, before any device or simulator starts; `--help`/`-h` on every subcommand and every `sim
 * <family>` print help and exit 0.
 */
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { simKinds } from '../../src/cli/sim.js';

// `sim opcua --help` loads node-opcua: seconds, tens of seconds on a loaded machine (as the OPC UA tests).
t.setTimeout(180_000);

/** Run `labrig <args>` in-process; collect what it prints. */
async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const write = process.stdout.write;
  const ewrite = process.stderr.write;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.stdout.write = ((c: string | Uint8Array) => (out.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    console.log = log;
    console.error = error;
    process.stdout.write = write;
    process.stderr.write = ewrite;
  }
}

t.test('--help and -h on every subcommand and simulator exit 0 with the usage', async (t) => {
  for (const cmd of ['demo', 'demo --soft', 'read', 'set', 'estop', ...Object.keys(simKinds()).map((k) => `sim ${k}`)]) {
    for (const flag of ['--help', '-h']) {
      const r = await run([...cmd.split(' '), flag]);
      t.equal(r.code, 0, `${cmd} ${flag}: exit 0`);
      t.match(r.out.join('\n'), /usage: labrig/, `${cmd} ${flag}: usage on stdout`);
    }
  }
});

t.test('usage errors: one line, the fix, exit 2, nothing started', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-usage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'f');
  writeFileSync(file, '');
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  const busyPort = (busy.address() as net.AddressInfo).port;
  const cases: Array<[string[], RegExp]> = [
    [['demo', '--out', file], new RegExp(`--out ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: exists and is not a folder`)],
    [['demo', '--soft', '--out', file], /--out .*: exists and is not a folder/],
    [['demo', '--soft', '--bogus'], /Unknown option '--bogus'; see labrig demo --help/],
    [['demo', '--points', 'many'], /--points must be a whole number/],
    [['sim', 'galil', '--tcp', '127.0.0.1:99999'], /port: must lie in 0\.\.65535.*0 picks a free port/],
    [['sim', 'galil', '--tcp', 'abc'], /expected HOST:PORT/],
    [['sim', 'alicat', '--tcp', `127.0.0.1:${busyPort}`], /the port is in use .*pick another port, or port 0/],
    [['sim', 'legato', '--tcp', `127.0.0.1:${busyPort}`], /the port is in use/],
    [['read', 'stage'], /'stage' is not a URI .*give --rig FILE/],
    [['read', 'galil+tcp://127.0.0.1:70000'], /port/],
    [['set', 'galil+tcp://127.0.0.1:1?colour=red', 'A', '1'], /parameter 'colour': unknown/],
    [['set', '--timeout-ms', 'soon', 'galil+tcp://127.0.0.1:1', 'A', '1'], /--timeout-ms must be a whole number/],
    [['estop', '--rig', join(dir, 'missing.yaml')], /--rig .*missing\.yaml: .*cannot be read/],
  ];
  for (const [args, pattern] of cases) {
    const r = await run(args);
    const text = r.err.join('');
    t.equal(r.code, 2, `${args.join(' ')}: exit 2 (${text})`);
    t.match(text, pattern, `${args.join(' ')}: names the problem`);
    t.equal(text.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
    t.notMatch(text, /\n\s+at /, 'no stack trace');
    t.notMatch(r.out.join(''), /stage: galil at|holding|dispensing/, 'nothing was started');
  }
});
