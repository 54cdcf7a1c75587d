/**
 * mDNS discovery. Input checks run in-process and must open no socket. The network behaviour runs
 * only inside a network namespace this test creates (loopback with multicast on, nothing else):
 * a child process publishes and browses there and prints JSON; this test asserts on it, then
 * kills the child and deletes the namespace. If `ip netns` is missing or not permitted, that part
 * is skipped with the reason — it never falls back to the machine's real interfaces.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CanceledError, InvalidInputError } from '../../../src/core/errors.js';
import { browse, parseServiceType, publish } from '../../../src/protocols/discovery/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

t.test('service types are normalised; bad input is refused before any socket opens', async (t) => {
  t.same(parseServiceType('_scpi-raw._tcp'), { type: 'scpi-raw', protocol: 'tcp' });
  t.same(parseServiceType('LXI'), { type: 'lxi', protocol: 'tcp' });
  t.same(parseServiceType('_vxi-11._udp.local.'), { type: 'vxi-11', protocol: 'udp' });
  for (const bad of ['', '_', 'has space', '-lead', 'trail-', 'a--b', 'sixteen-chars-xx', '_x._sctp']) t.throws(() => parseServiceType(bad), InvalidInputError, bad);
  const udpBefore = process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
  await t.rejects(browse('bad type!'), InvalidInputError);
  await t.rejects(browse('scpi-raw', { interface: 'eth0' }), /IPv4 address of an interface/);
  await t.rejects(browse('scpi-raw', { timeoutMs: 0 }), InvalidInputError);
  await t.rejects(browse('scpi-raw', { limit: 0 }), InvalidInputError);
  await t.rejects(browse('scpi-raw', { port: 70000 }), InvalidInputError);
  await t.rejects(browse('scpi-raw', { interface: '127.0.0.1', signal: AbortSignal.abort() }), CanceledError);
  await t.rejects(publish({ name: 'x', type: 'scpi-raw', port: 0 }), /port/);
  await t.rejects(publish({ name: '', type: 'scpi-raw', port: 5025 }), /name/);
  await t.rejects(publish({ name: 'x', type: 'scpi raw', port: 5025 }), InvalidInputError);
  await t.rejects(publish({ name: 'x', type: 'scpi-raw', port: 5025 }, { interface: '127.0.0.1', signal: AbortSignal.abort() }), CanceledError);
  t.equal(process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length, udpBefore, 'no UDP socket was opened');
});

function run(cmd: string, args: string[]): { ok: boolean; text: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, text: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

const ns = `labrig-mdns-${process.pid}`;

/** Make the namespace; return why the network test must be skipped, or undefined when it is ready. */
function makeNamespace(): string | undefined {
  if (!run('ip', ['-V']).ok) return 'iproute2 (`ip`) is not installed: cannot make a network namespace, and mDNS must not touch the real network';
  const made = run('ip', ['netns', 'add', ns]);
  if (!made.ok) return `\`ip netns add\` is not permitted here (${made.text}): the mDNS network test needs its own namespace`;
  return undefined;
}

const skipReason = makeNamespace();
if (skipReason === undefined) t.teardown(() => void run('ip', ['netns', 'del', ns]));

t.test('publish and browse inside a test-made network namespace', { skip: skipReason ?? false }, async (t) => {
  let child: ReturnType<typeof spawn> | undefined;
  t.teardown(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  for (const args of [['link', 'set', 'lo', 'up'], ['link', 'set', 'lo', 'multicast', 'on'], ['route', 'add', '224.0.0.0/4', 'dev', 'lo']]) {
    const r = run('ip', ['-n', ns, ...args]);
    t.ok(r.ok, `ip -n ${ns} ${args.join(' ')} ${r.text}`);
    if (!r.ok) return;
  }
  const links = spawnSync('ip', ['-n', ns, '-o', 'link'], { encoding: 'utf8' }).stdout.trim().split('\n');
  t.equal(links.length, 1, 'the namespace has one link (lo) and no route to any real network');

  const script = join(here, 'fixture', 'mdns-child.ts');
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolveExit) => {
    const guard = setTimeout(() => proc.kill('SIGKILL'), 45_000);
    proc.on('exit', (c) => {
      clearTimeout(guard);
      resolveExit(c);
    });
  });
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}';
  const out = JSON.parse(line) as Record<string, unknown>;
  t.equal(code, 0, `the child ran to the end ${out.fatal ?? ''} ${stderr.slice(0, 500)}`);
  t.same(out.interfaces, ['lo'], 'the child saw only loopback');
  t.same(out.published, { name: 'Fake Scope', fqdn: 'Fake Scope._scpi-raw._tcp.local', port: 5025 });
  t.match(out.first, [
    { name: 'Fake Scope', type: 'scpi-raw', protocol: 'tcp', port: 5025, addresses: ['127.0.0.1'], txt: { model: 'X1', serial: '42' }, fqdn: 'Fake Scope._scpi-raw._tcp.local' },
  ]);
  t.equal((out.first as unknown[]).length, 1, 'limit: 1 stopped after the first service');
  t.same(out.missing, { error: 'NotFoundError', code: 'NOT_FOUND', what: 'mDNS service _nothing-here._tcp', tried: ['multicast on 127.0.0.1 for 400 ms'], isNotFound: true }, 'an explicit typed not-found after the timeout');
  t.same(out.both, ['Fake DMM', 'Fake Scope']);
  t.same(out.named, ['Fake DMM:5026'], 'filtered by instance name');
  t.match(out.afterStop, { error: 'NotFoundError', isNotFound: true }, 'stopped services are gone');
  t.same(out.leftover, [], 'the child closed every socket and timer');
});
