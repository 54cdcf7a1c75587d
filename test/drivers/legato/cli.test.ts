/**
 * `labrig sim legato`: argument parsing, and the command run as a process — the driver URI on
 * its first line, a driver connects to it, SIGTERM ends it with code 0.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openLegato } from '../../../src/drivers/legato/index.js';
import { parseLegatoSimArgs } from '../../../src/sim/legato/index.js';

t.test('arguments', async (t) => {
  t.same(parseLegatoSimArgs(['--tcp', '127.0.0.1:0', '--faults', 'delay:5', '--addresses', '0,1,12']), { tcp: '127.0.0.1:0', faults: 'delay:5', addresses: [0, 1, 12] });
  t.same(parseLegatoSimArgs(['--pty', '--model', 'legato100', '--diameter', '14.57']), { pty: true, defaults: { model: 'legato100', diameterMm: 14.57 } });
  for (const bad of [['--tcp'], ['--tcp', 'x:1', '--pty'], ['--addresses', '0,100'], ['--model', 'nemesys'], ['--diameter', '-1'], ['--bogus']]) {
    t.throws(() => parseLegatoSimArgs(bad), /^labrig sim legato: .*; see labrig sim legato --help$/, bad.join(' '));
  }
});

t.test('as a process: URI on the first line, usable by the driver, SIGTERM stops it', async (t) => {
  const cli = fileURLToPath(new URL('../../../src/sim/legato/cli.ts', import.meta.url));
  const code = `const m = await import(${JSON.stringify(cli)}); process.exitCode = await m.simLegatoCli(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, '--', '--tcp', '127.0.0.1:0', '--addresses', '0,3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const lines = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URI within 20 s; stdout ${JSON.stringify(out)}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out.split('\n');
      if (l.length >= 3) {
        clearTimeout(timer);
        resolve(l.slice(0, 2));
      }
    });
  });
  t.match(lines[0], /^legato\+tcp:\/\/127\.0\.0\.1:\d+\?address=0$/, 'first line: the first pump');
  t.match(lines[1], /\?address=3$/, 'then the next pump');
  const pump = await openLegato(lines[1]!, { timeoutMs: 1000 });
  t.equal((await pump.commands.status()).state, 'idle');
  await pump.close();
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0 after SIGTERM');
});
