/**
 * `labrig sim <kind>`: a child process prints the simulator's URI on its first line, answers
 * the real driver there, and exits 0 on SIGTERM; unknown kinds and bad options are usage errors.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simCli, simKinds } from '../../src/cli/sim.js';
import { openGalil } from '../../src/drivers/galil/index.js';

const simModule = fileURLToPath(new URL('../../src/cli/sim.ts', import.meta.url));

/** Start `labrig sim <args>` in a child process; resolve with the child and its first stdout line. */
async function startChild(t: Test, args: string[]): Promise<{ child: ReturnType<typeof spawn>; first: string; exited: Promise<number | null> }> {
  const code = `const { simCli } = await import(${JSON.stringify(simModule)}); process.exitCode = await simCli(${JSON.stringify(args)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no address within 20 s; stderr: ${stderr}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${c} before printing an address; stderr: ${stderr}`));
    });
  });
  return { child, first, exited };
}

t.test('labrig sim galil prints its URI first, serves the driver, and exits 0 on SIGTERM', async (t) => {
  const { child, first, exited } = await startChild(t, ['galil', '--tcp', '127.0.0.1:0', '--axes', '2', '--faults', 'delay:1']);
  t.match(first, /^galil\+tcp:\/\/127\.0\.0\.1:\d+$/, 'the first line is the driver URI');
  const g = await openGalil(first, { axes: { x: { axis: 'A' } } });
  t.teardown(() => g.close());
  t.equal(await g.axis('x').readback.getValue(false), 0, 'the driver talks to the child simulator');
  await g.close();
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit code 0 after SIGTERM');
});

t.test('unknown kinds and bad options are usage errors', async (t) => {
  t.same(Object.keys(simKinds()), ['galil', 'alicat', 'legato', 'modbus', 'opcua', 'gamry', 'biologic', 'nidaqmx', 'tango'], 'the registered simulators, in the built-in order');
  const errors: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  t.teardown(() => {
    console.error = error;
  });
  t.equal(await simCli(['teapot']), 2);
  t.match(errors.pop(), /unknown simulator 'teapot'.*galil, alicat, legato, modbus, opcua/);
  t.equal(await simCli([]), 2);
  t.match(errors.pop(), /usage: labrig sim </);
  t.equal(await simCli(['alicat', '--units', 'A,7']), 2, 'the kind parses its own options');
  t.equal(await simCli(['legato', '--frob']), 2);
});
