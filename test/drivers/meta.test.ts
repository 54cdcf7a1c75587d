/**
 * Meta-test over all drivers (STYLE.md rule 13): each family has the fixed files, a README, a
 * simulator, manual transcripts and device tests. Exceptions are listed here, never silent.
 */
import t from 'tap';
import { existsSync, readdirSync, statSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const families = readdirSync(join(root, 'src', 'drivers')).filter((d) => statSync(join(root, 'src', 'drivers', d)).isDirectory());

/** Families allowed to miss a part, with the reason. */
const exceptions: Record<string, { missing: string[]; why: string }> = {
  shared: {
    missing: ['protocol.ts', 'io.ts', 'signals.ts', 'mock.ts', 'device.ts', 'index.ts', 'family.ts', 'README.md', 'simulator', 'transcripts', 'device tests', 'fault tests'],
    why: 'src/drivers/shared is not a family: it holds code the families share, tested through them',
  },
  potentiostat: {
    missing: ['signals.ts', 'protocol.ts', 'io.ts', 'device.ts', 'family.ts', 'README.md', 'simulator', 'transcripts', 'device tests', 'fault tests'],
    why: 'src/drivers/potentiostat is not a family: the technique vocabulary, channel device and plans the potentiostat families (gamry, biologic) share, tested through them (test/drivers/gamry)',
  },
  nidaqmx: {
    missing: ['signals.ts', 'mock.ts'],
    why: 'an FFI family: its values come from NI-DAQmx task calls (io.ts over koffi), not from queried line-protocol signals, so the QueriedBackend vocabulary does not apply; its mock tier is the device built without a library (family createMock), tested in test/drivers/nidaqmx/device.test.ts',
  },
  biologic: {
    missing: ['signals.ts', 'mock.ts'],
    why: 'an FFI family on the shared potentiostat channel (src/drivers/potentiostat): readings come from EClib calls, not queried signals; its mock is the shared MockPotentiostatBackend (src/drivers/potentiostat/mock.ts)',
  },
  gamry: {
    missing: ['signals.ts', 'mock.ts'],
    why: 'a COM object-model family on the shared potentiostat channel (src/drivers/potentiostat): readings come from GamryCOM calls, not queried signals; its mock is the shared MockPotentiostatBackend (src/drivers/potentiostat/mock.ts)',
  },
  modbus: {
    missing: ['protocol.ts', 'io.ts', 'signals.ts', 'mock.ts', 'transcripts', 'fault tests'],
    why: 'the generic Modbus family sits on src/protocols/modbus (its command layer is the RegisterBus, its signals come from the register map, its mock is the mock tier of those signals), whose codec, clients, pymodbus transcripts and faults are tested in test/protocols/modbus',
  },
  tango: {
    missing: ['io.ts', 'transcripts'],
    why: 'Tango is spoken by the Tango client libraries (PyTango in the sidecar, cppTango in the addon), not by labrig: its command layer is the TangoBackend interface (backend.ts), and its simulators are real Tango device servers (Debian TangoTest, a PyTango event server) driven by those libraries, so the backend conformance suite against them (test/drivers/tango/backend-conformance.ts) takes the place of transcripts',
  },
  opcua: {
    missing: ['protocol.ts', 'io.ts', 'signals.ts', 'mock.ts', 'transcripts', 'fault tests'],
    why: 'the generic OPC UA family sits on src/protocols/opcua (node-opcua; its command layer is the client, its signals come from the node map), whose client, reconnection and faults are tested in test/protocols/opcua',
  },
};

const required = ['protocol.ts', 'io.ts', 'signals.ts', 'mock.ts', 'device.ts', 'index.ts', 'family.ts', 'README.md'];

t.ok(families.length >= 1, 'there are driver families to check');

t.test('every family folder is registered by the one built-in list (src/rig/families.ts)', async (t) => {
  const { BUILTIN_FAMILIES } = await import('../../src/rig/families.js');
  const listed = BUILTIN_FAMILIES.map((b) => b.family.name);
  for (const family of families.filter((f) => f !== 'shared' && f !== 'potentiostat')) t.ok(listed.includes(family), `${family} is listed`);
  for (const b of BUILTIN_FAMILIES) if (b.simulator) t.equal(b.simulator.family, b.family.name, `${b.simulator.name} serves ${b.family.name}`);
});

for (const family of families) {
  t.test(`driver family '${family}'`, async (t) => {
    const allowed = new Set(exceptions[family]?.missing ?? []);
    const dir = join(root, 'src', 'drivers', family);
    for (const file of required) {
      if (allowed.has(file)) continue;
      t.ok(existsSync(join(dir, file)), `has ${file}`);
    }
    if (!allowed.has('simulator')) t.ok(existsSync(join(root, 'src', 'sim', family, 'index.ts')), 'has a simulator in src/sim');
    if (!allowed.has('simulator')) t.ok(existsSync(join(root, 'src', 'sim', family, 'family.ts')), 'has a simulator descriptor (src/sim/<family>/family.ts)');
    const tests = existsSync(join(root, 'test', 'drivers', family)) ? readdirSync(join(root, 'test', 'drivers', family)) : [];
    if (!allowed.has('transcripts')) t.ok(tests.some((f) => /transcript/.test(f)), 'has protocol transcript tests');
    if (!allowed.has('device tests')) t.ok(tests.some((f) => /device.*\.test\.ts$/.test(f)), 'has device tests');
    if (!allowed.has('fault tests')) t.ok(tests.some((f) => /fault.*\.test\.ts$/.test(f)), 'has fault tests');
    const readme = existsSync(join(dir, 'README.md')) ? readFileSync(join(dir, 'README.md'), 'utf8') : '';
    if (!allowed.has('README.md')) t.match(readme, /simulat/i, 'README says how to run against the simulator');
  });
}

t.test("the rig README's tables list every registered family's and simulator's parameters", async (t) => {
  const { BUILTIN_FAMILIES } = await import('../../src/rig/families.js');
  const readme = readFileSync(join(root, 'src', 'rig', 'README.md'), 'utf8');
  for (const { family, simulator } of BUILTIN_FAMILIES) {
    const row = readme.split('\n').find((l) => l.startsWith(`| ${family.name} |`)) ?? '';
    t.ok(row, `${family.name} has a row`);
    for (const p of Object.keys(family.params)) t.ok(row.includes(`\`${p}\``), `${family.name} row names ${p}`);
    if (!simulator) continue;
    const simRow = readme.split('\n').find((l) => l.startsWith(`| \`sim:${simulator.name}\` |`)) ?? '';
    for (const p of Object.keys(simulator.params)) t.ok(simRow.includes(`\`${p}`), `sim:${simulator.name} row names ${p}`);
  }
});

/** The TypeScript sources of a family folder, by file name. */
function sources(family: string): Array<[string, string]> {
  const dir = join(root, 'src', 'drivers', family);
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(join(dir, f), 'utf8')] as [string, string]);
}

/** Folders the families share (importable by any family; not families themselves). */
const SHARED_FOLDERS = ['shared', 'potentiostat'];

/**
 * Families over a vendor library (C ABI through koffi, or a COM object model) rather than a byte
 * protocol: their values come from library calls, not queried signals, so the line-protocol rules
 * (shared signal vocabulary, constructor `(name, commands, config, release)`, install<Device>Mock)
 * do not apply; the general rules (no private sleep, no printing, no imports of other families or
 * of simulators) do. src/drivers/README.md describes their anatomy.
 */
const LIBRARY_FAMILIES: Record<string, string> = {
  nidaqmx: 'NI-DAQmx C ABI through koffi: tasks are the devices, values come from DAQmx calls',
  biologic: 'EClib C ABI through koffi, on the shared potentiostat channel (src/drivers/potentiostat)',
  gamry: 'GamryCOM object model behind a backend interface (COM or the in-process simulator), on the shared potentiostat channel',
  tango: 'Tango client libraries (PyTango sidecar, cppTango addon) behind the TangoBackend interface; attributes as signals through TangoAttributeBackend',
};

t.test('one driver anatomy (src/drivers/README.md, decision 0013)', async (t) => {
  for (const family of families) {
    const library = family in LIBRARY_FAMILIES;
    const shared = SHARED_FOLDERS.includes(family);
    const files = sources(family);
    for (const [file, text] of files) {
      const where = `${family}/${file}`;
      if (!shared && !library) t.notOk(/implements\s+SignalBackend|extends\s+(TransportBackend|QueriedBackend)/.test(text), `${where}: no backend of its own (signals come from the shared vocabulary)`);
      t.notOk(/function\s+(sleep|wait)\s*\(|const\s+sleep\s*=/.test(text), `${where}: no private sleep (use sleep from core)`);
      t.notOk(/console\.(error|warn|log)/.test(text), `${where}: library code does not print`);
      const other = [...text.matchAll(/from '\.\.\/([a-z]+)\//g)].map((m) => m[1]).filter((f) => !SHARED_FOLDERS.includes(f!) && f !== family && families.includes(f!));
      t.same(other, [], `${where}: imports no other family folder`);
      t.notOk(/from '\.\.\/\.\.\/sim\//.test(text), `${where}: never imports a simulator`);
    }
    if (shared || library) continue;
    t.notOk(files.some(([f]) => f === 'backend.ts'), `${family}: no backend.ts`);
    const device = files.find(([f]) => f === 'device.ts')?.[1] ?? '';
    const ctors = [...device.matchAll(/constructor\(([^)]*)\)/g)].map((m) => m[1]!);
    t.ok(ctors.length > 0, `${family}: device.ts has a device class`);
    const hasIo = files.some(([f]) => f === 'io.ts');
    for (const c of ctors) {
      const params = c.split(',').map((p) => p.trim().split(/[?:=\s]/)[0]);
      t.equal(params[0], 'name', `${family}: a device constructor starts with its name (${c})`);
      if (hasIo) t.equal(params[1], 'commands', `${family}: then its command layer, named commands (${c})`);
      t.ok(params.includes('release'), `${family}: ownership is a release function, given by the opener (${c})`);
    }
    if (hasIo) t.match(device, /readonly commands: \w+IO;/, `${family}: the command layer is the device's \`commands\``);
    const mock = files.find(([f]) => f === 'mock.ts')?.[1];
    if (mock !== undefined) {
      const installers = [...mock.matchAll(/export function (\w+)\(([^)]*)\)(?::\s*(\w+))?/g)];
      t.ok(installers.length > 0, `${family}: mock.ts exports installers`);
      for (const [, name, params, ret] of installers) {
        t.match(name!, /^install\w+Mock$/, `${family}: ${name} is named install<Device>Mock`);
        t.equal(params!.split(',').filter((p) => p.trim()).length, 1, `${family}: ${name} takes the device only`);
        t.equal(ret, 'void', `${family}: ${name} returns void`);
      }
    }
  }
});
