/**
 * The Tango server launchers: TangoTest and labrig's event server start on a free loopback port,
 * answer, stop and start again on the same port, and leave no process behind.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { startTangoEventServer, startTangoTest, tangoTestAvailable, TANGO_PYTHON } from '../../../src/sim/tango/index.js';
import { startSimChild } from '../../helpers/sim-child.js';

const skip = tangoTestAvailable() ? false : 'TangoTest not installed (apt-get install tango-test python3-tango)';
t.setTimeout(180000);

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(5000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

function pyState(address: string): string {
  const r = spawnSync(TANGO_PYTHON, ['-c', `import tango; print(tango.DeviceProxy(${JSON.stringify(address)}).state())`], { encoding: 'utf8', timeout: 30000 });
  return (r.stdout || r.stderr).trim();
}

t.test('TangoTest starts, answers PyTango, and is gone after close', { skip }, async (t) => {
  const s = await startTangoTest();
  t.teardown(() => s.close());
  t.match(s.address, /^tango:\/\/127\.0\.0\.1:\d+\/sys\/tg_test\/1#dbase=no$/);
  t.ok(await accepts(s.port), 'listening on 127.0.0.1');
  t.equal(pyState(s.address), 'RUNNING', 'a PyTango client reads its state');
  const pid = s.pid;
  await s.close();
  t.notOk(alive(pid), 'process gone');
  t.notOk(s.running);
});

t.test('event server: stop and start again on the same port', { skip }, async (t) => {
  const s = await startTangoEventServer();
  t.teardown(() => s.close());
  t.equal(pyState(s.address), 'ON');
  const pid1 = s.pid;
  await s.stop();
  t.notOk(alive(pid1), 'stopped');
  t.notOk(await accepts(s.port), 'port closed while stopped');
  await s.start();
  t.not(s.pid, pid1, 'a new process');
  t.equal(pyState(s.address), 'ON', 'answers again at the same address');
});

t.test('labrig sim tango prints the address, serves, and stops its server on SIGTERM', { skip }, async (t) => {
  const { child, first, exited, stderr: errText } = await startSimChild(t, ['tango', '--events'], { teardownSignal: 'SIGTERM' });
  t.match(first, /^tango:\/\/127\.0\.0\.1:\d+\/labrig\/events\/1#dbase=no$/);
  t.equal(pyState(first), 'ON', 'a PyTango client reads the state there');
  const end = Date.now() + 10000;
  while (!/pid \d+/.test(errText()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const pid = Number(/pid (\d+)/.exec(errText())?.[1]);
  t.ok(alive(pid), `the server runs (pid ${pid})`);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit 0 after SIGTERM');
  t.notOk(alive(pid), 'the server is gone');
});
