/**
 * Third-party families on the `labrig` command line: `--import MODULE` (repeatable) and
 * `labrig.config.{js,mjs,json}` in the current directory load modules whose `register(api)`
 * registers a family and its simulator with the running labrig; `labrig read|set|sim` then
 * accept its URIs. Bad plugins fail naming the module.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configImports, loadPlugins, takeImports } from '../../src/cli/plugins.js';
import { readCli, setCli, type CliIO } from '../../src/cli/read-set.js';
import { familyForScheme, unregisterFamily } from '../../src/drivers/registry.js';
import { simulatorByName, unregisterSimulator } from '../../src/sim/registry.js';
import { withLeakGuard } from '../../src/testing/index.js';

const src = (p: string): string => pathToFileURL(join(import.meta.dirname, '..', '..', 'src', p)).href;

/** A plugin module (ESM text) for a CR-terminated "oven": `T?` → temperature, `SP=v` → OK. */
const PLUGIN = `
import net from 'node:net';
import { StandardReadable } from '${src('core/device/standard-readable.ts')}';
import { softSignalRAndSetter } from '${src('core/signal/factories.ts')}';
import { streamOf, tcpTransport } from '${src('drivers/index.ts')}';
import { createRequestChannel } from '${src('protocols/index.ts')}';

class Oven extends StandardReadable {
  constructor(name, channel) {
    super(name);
    [this.temperature, this.setT] = softSignalRAndSetter(0, { units: 'degC' });
    this.channel = channel;
    this.addReadables([this.temperature], 'hinted');
    this.setName(name);
  }
  async connect(o = {}) {
    await super.connect(o);
    if (!this.channel) return;
    await this.channel.open({ timeoutMs: 2000 });
    this.setT(Number((await this.channel.request('T?')).text));
  }
  async close() { await this.channel?.close(); }
}

export function register({ registerFamily, registerSimulator }) {
  registerFamily({
    name: 'oven',
    title: 'test oven',
    schemes: [{ scheme: 'oven+tcp', transport: tcpTransport({ defaultPort: 5001 }), example: 'oven+tcp://127.0.0.1:5001' }],
    params: {},
    open: async (target, _o, { name }) => {
      const oven = new Oven(name, createRequestChannel(streamOf(target), { framing: { mode: 'terminator', terminators: ['\\r'] }, suffix: '\\r', timeoutMs: 1000 }));
      await oven.connect({ timeoutMs: 3000 });
      return oven;
    },
    createMock: (_o, { name }) => new Oven(name, undefined),
    confirmStopped: async () => 'idle',
  });
  registerSimulator({
    name: 'oven', family: 'oven', title: 'test oven simulator', params: {}, usage: 'usage: labrig sim oven',
    async start() {
      const sockets = new Set();
      const srv = net.createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('data', (d) => { for (const cmd of d.toString('latin1').split('\\r').filter(Boolean)) s.write(cmd === 'T?' ? '180.5\\r' : 'ERR\\r'); });
      });
      await new Promise((r) => srv.listen(0, '127.0.0.1', r));
      return { uri: 'oven+tcp://127.0.0.1:' + srv.address().port, handle: srv, close: () => new Promise((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }) };
    },
    cli: async () => 0,
  });
}
`;

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

function tempDir(t: Tap): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-plugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
type Tap = { teardown(fn: () => void): void };

t.test('--import is taken out of the command line, repeatable, before --', async (t) => {
  t.same(takeImports(['--import', './a.js', 'read', '--import=b', 'x', '--', '--import', 'c']), { imports: ['./a.js', 'b'], rest: ['read', 'x', '--', '--import', 'c'] });
  t.throws(() => takeImports(['read', '--import']), { message: /^--import: needs a module/ });
  t.throws(() => takeImports(['--import', '--rig']), { message: /^--import: needs a module/ });
});

t.test('a family loaded with --import works in labrig read and sim: rigs, and a bad module is named', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'oven.mjs'), PLUGIN);
  t.teardown(() => {
    unregisterFamily('oven');
    unregisterSimulator('oven');
  });
  t.equal(familyForScheme('oven+tcp'), undefined, 'unknown before the plugin loads');
  t.same(await loadPlugins(['./oven.mjs'], dir), ['./oven.mjs']);
  t.ok(familyForScheme('oven+tcp'), 'the family is registered');
  t.equal(simulatorByName('oven').family, 'oven', 'and its simulator');
  await withLeakGuard(async () => {
    const read = capture();
    t.equal(await readCli(['sim:oven'], read), 0, read.errors.join('\n'));
    t.same(read.lines, ['temperature 180.5 degC'], 'read over the wire from its simulator');
    const set = capture();
    t.equal(await setCli(['sim:oven', 'temperature', '20'], set), 1);
    t.match(set.errors.join('\n'), /is read-only/, 'labrig set reaches the plugin device');
  }, { graceMs: 1000 });

  await t.rejects(loadPlugins(['./missing.mjs'], dir), { name: 'InvalidInputError', message: /^plugin module: no such file: .*missing\.mjs \(got "\.\/missing\.mjs"\)/ });
  await t.rejects(loadPlugins(['no-such-labrig-plugin'], dir), { message: /^plugin module: cannot be resolved from/ });
  writeFileSync(join(dir, 'broken.mjs'), 'export function register() { throw new Error("boom"); }');
  await t.rejects(loadPlugins(['./broken.mjs'], dir), { message: /^plugin module: its register\(\) failed: boom/ });
  writeFileSync(join(dir, 'syntax.mjs'), 'export const = 1;');
  await t.rejects(loadPlugins(['./syntax.mjs'], dir), { message: /^plugin module: failed to load/ });
});

t.test('labrig.config.json lists modules; labrig.config.mjs is one; bad files are named', async (t) => {
  const dir = tempDir(t);
  t.same(configImports(dir), [], 'no configuration file: nothing');
  writeFileSync(join(dir, 'labrig.config.json'), JSON.stringify({ import: ['./oven.mjs', 'some-package'] }));
  t.same(configImports(dir), [join(dir, 'oven.mjs'), 'some-package']);
  writeFileSync(join(dir, 'labrig.config.json'), JSON.stringify({ imports: ['./oven.mjs'] }));
  t.throws(() => configImports(dir), { message: /labrig\.config\.json "import": expected \{ "import"/ });
  writeFileSync(join(dir, 'labrig.config.json'), '{ nope');
  t.throws(() => configImports(dir), { message: /is not valid JSON/ });
  writeFileSync(join(dir, 'labrig.config.mjs'), PLUGIN);
  t.same(configImports(dir), [join(dir, 'labrig.config.mjs')], 'labrig.config.mjs comes before .json');
  t.teardown(() => {
    unregisterFamily('oven');
    unregisterSimulator('oven');
  });
  await loadPlugins([], dir);
  t.ok(familyForScheme('oven+tcp'), 'the configuration module registered the family');
});
