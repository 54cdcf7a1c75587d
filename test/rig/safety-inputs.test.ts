/**
 * Issue 15, "wrong device": over EVERY registered scheme and family, an unparsable or
 * out-of-range port is an error naming the address, an unknown query parameter or option is an
 * error, every numeric parameter refuses an absurd value before any connection is made, and a
 * JSON rig (or JSON map file) with a key written twice is refused like YAML refuses it.
 */
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../src/core/errors.js';
import type { AnyFamily } from '../../src/drivers/family.js';
import { registeredFamilies } from '../../src/drivers/registry.js';
import { findDuplicateKey } from '../../src/protocols/json-keys.js';
import { MAX_TIMER_MS, type ParamSchema } from '../../src/protocols/params.js';
import { parseAddress, registeredSchemes, splitUri } from '../../src/protocols/uri.js';
import { checkEntry, loadRig, readRigFile, registerBuiltinFamilies } from '../../src/rig/index.js';

registerBuiltinFamilies();
const dir = mkdtempSync(join(tmpdir(), 'labrig-safety-inputs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Options a family needs besides its address (a register map, a node map). */
const REQUIRED: Record<string, Record<string, unknown>> = {
  modbus: { map: [{ name: 'sp', table: 'holding', address: 0 }] },
  opcua: { nodes: { temp: 'ns=1;s=Temp' } },
};

/** Paths a host:port address needs after the port (a Tango device name). */
const PATHS: Record<string, string> = { tango: '/sys/tg_test/1' };

/** Every family scheme, with whether its authority is host:port. */
function familySchemes(): Array<{ family: AnyFamily; scheme: string; hostPort: boolean; kind: string; example: string }> {
  return registeredFamilies().flatMap((family) =>
    family.schemes.map((s) => ({ family, scheme: s.scheme, example: s.example, kind: s.transport.kind, hostPort: splitUri(s.example).portText !== undefined })),
  );
}

function errorOf(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidInputError) return e;
    throw e;
  }
  throw new Error('no error');
}

const BAD_PORTS = ['70000', '65536', 'abc', '0', '-1', '2e3', '23x', '1.5', ' 23', '0x17'];

t.test('every host:port scheme refuses a bad port with an error naming the address; a good port is kept', async (t) => {
  const schemes = familySchemes();
  t.ok(registeredSchemes().every((s) => s === 'tcp' || s === 'serial' || schemes.some((f) => f.scheme === s)), 'the table covers every registered scheme');
  const hostPort = [...schemes.filter((s) => s.hostPort), { family: undefined, scheme: 'tcp', hostPort: true, example: 'tcp://127.0.0.1:23' }];
  t.ok(hostPort.length >= 6, `host:port schemes: ${hostPort.map((s) => s.scheme).join(', ')}`);
  for (const s of hostPort) {
    const query = s.family?.name === 'alicat' ? '?unit=A' : '';
    for (const port of BAD_PORTS) {
      const uri = `${s.scheme}://127.0.0.1:${port}${PATHS[s.family?.name ?? ''] ?? ''}${query}`;
      const options = REQUIRED[s.family?.name ?? ''] ?? {};
      const e = errorOf(() => (s.family ? checkEntry('dev', { uri, ...options }, 'rig') : parseAddress(uri)));
      t.ok(e.message.includes(uri) && /port/.test(e.message), `${uri}: ${e.message}`);
    }
    const good = `${s.scheme}://127.0.0.1:4242${PATHS[s.family?.name ?? ''] ?? ''}${s.family?.name === 'alicat' ? '?unit=A' : ''}`;
    const entry = s.family ? checkEntry('dev', { uri: good, ...(REQUIRED[s.family.name] ?? {}) }, 'rig') : undefined;
    const port = entry ? (entry.target!.address as { port?: number }).port : (parseAddress(good) as unknown as { port: number }).port;
    t.equal(port, 4242, `${good} keeps port 4242`);
  }
});

t.test('every serial scheme refuses a port', async (t) => {
  // Serial transports only: library families (nidaqmx, biologic, gamry) name a device, not a stream.
  const serial = [...familySchemes().filter((s) => s.kind === 'serial'), { family: undefined, scheme: 'serial', hostPort: false, example: 'serial:///dev/ttyUSB0' }];
  t.ok(serial.length >= 4);
  for (const s of serial) {
    const uri = `${s.scheme}://COM3:70000`;
    const e = errorOf(() => (s.family ? checkEntry('dev', { uri, ...(REQUIRED[s.family.name] ?? {}) }, 'rig') : parseAddress(uri)));
    t.ok(e.message.includes(uri) && /no port/.test(e.message), `${uri}: ${e.message}`);
  }
});

t.test('every scheme refuses an unknown query parameter, and every family an unknown option', async (t) => {
  for (const s of familySchemes()) {
    const options = REQUIRED[s.family.name] ?? {};
    const base = s.example.replace(/\?.*$/, '').replace(/^(alicat\+\w+:\/\/[^?]*)$/, '$1?unit=A');
    const sep = base.includes('?') ? '&' : '?';
    const inUri = errorOf(() => checkEntry('dev', { uri: `${base}${sep}colour=red`, ...options }, 'rig'));
    t.match(inUri.message, /^rig device 'dev': parameter 'colour': unknown for /, `${s.scheme} in the URI`);
    const asOption = errorOf(() => checkEntry('dev', { uri: base, ...options, colour: 'red' }, 'rig'));
    t.equal(asOption.message, inUri.message, `${s.scheme} as an option: the same text`);
  }
  for (const uri of ['tcp://127.0.0.1:23?colour=red', 'serial:///dev/ttyUSB0?colour=red']) {
    t.match(errorOf(() => parseAddress(uri)).message, /parameter 'colour': unknown/, uri);
  }
});

/** Numeric parameters of a family and its schemes' transports, by name. */
function numericParams(family: AnyFamily): string[] {
  const all: ParamSchema = Object.assign({}, ...family.schemes.map((s) => s.transport.params), family.params) as ParamSchema;
  return Object.entries(all).filter(([, p]) => p.type === 'number' || p.type === 'integer' || p.type === 'quantity').map(([n]) => n);
}

t.test('every numeric parameter of every family refuses an absurd value before any connection is made', async (t) => {
  let connections = 0;
  const srv = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as net.AddressInfo).port;
  let checked = 0;
  for (const s of familySchemes().filter((x) => x.hostPort)) {
    const uri = `${s.scheme}://127.0.0.1:${port}${PATHS[s.family.name] ?? ''}${s.family.name === 'alicat' ? '?unit=A' : ''}`;
    for (const name of numericParams(s.family).filter((n) => Object.hasOwn(s.family.params, n) || Object.hasOwn(s.family.schemes.find((x) => x.scheme === s.scheme)!.transport.params, n))) {
      for (const value of [1e30, -1e30]) {
        const e = await loadRig({ dev: { uri, ...(REQUIRED[s.family.name] ?? {}), [name]: value } }).then(
          async (rig) => {
            await rig.close();
            return undefined;
          },
          (err: unknown) => err,
        );
        t.ok(e instanceof InvalidInputError && e.message.includes(`parameter '${name}'`), `${s.scheme} ${name}=${value}: ${(e as Error | undefined)?.message ?? 'ACCEPTED'}`);
        checked++;
      }
    }
  }
  for (const field of ['countsPerUnit', 'speed', 'acceleration', 'deceleration', 'limitDeceleration']) {
    const e = await loadRig({ stage: { uri: `galil+tcp://127.0.0.1:${port}`, axes: { A: { [field]: 1e30 } } } }).catch((err: unknown) => err);
    t.ok(e instanceof InvalidInputError && e.message.includes(`axes.A.${field}`), `galil axes.A.${field}=1e30: ${(e as Error).message}`);
    checked++;
  }
  const limits = await loadRig({ stage: { uri: `galil+tcp://127.0.0.1:${port}`, axes: { A: { countsPerUnit: 1000, limits: [-1e30, 1e30] } } } }).catch((err: unknown) => err);
  t.match((limits as Error).message, /parameter 'axes\.A\.limits': must lie within ±2147483\.647 mm/, 'Galil soft limits beyond the 32-bit position range');
  t.ok(checked > 40, `${checked} absurd values tried`);
  t.equal(connections, 0, 'no connection was attempted for any of them');
});

t.test('a duration in ms is bounded by the timer limit (a longer setTimeout would fire at once)', async (t) => {
  const ok = checkEntry('dev', { uri: 'galil+tcp://127.0.0.1:23', timeoutMs: MAX_TIMER_MS }, 'rig');
  t.equal((ok.options as { timeoutMs: number }).timeoutMs, MAX_TIMER_MS, 'the limit itself is accepted');
  t.match(errorOf(() => checkEntry('dev', { uri: 'galil+tcp://127.0.0.1:23', timeoutMs: MAX_TIMER_MS + 1 }, 'rig')).message, /parameter 'timeoutMs': must be a number > 0 and <= 2147483647 \(ms\)/);
  t.match(errorOf(() => checkEntry('dev', { uri: 'galil+tcp://127.0.0.1:23?connectTimeoutMs=9999999999' }, 'rig')).message, /parameter 'connectTimeoutMs': must be an integer in 1\.\.2147483647 \(ms\)/);
});

t.test('a JSON rig with a key written twice is refused, naming the key and where; YAML already is', async (t) => {
  const json = join(dir, 'dup.json');
  writeFileSync(json, '{\n  "devices": {\n    "stage": "galil+tcp://127.0.0.1:23",\n    "pump": "legato+tcp://127.0.0.1:4001",\n    "stage": "galil+tcp://127.0.0.1:24"\n  }\n}\n');
  t.throws(() => readRigFile(json), { message: `rig file ${json}: is not valid JSON for a rig: key 'stage' appears twice in devices (line 5, column 5; first at line 3, column 5) (got "stage")` });
  await t.rejects(loadRig(json), InvalidInputError, 'loadRig refuses it before opening anything');
  const nested = join(dir, 'nested.json');
  writeFileSync(nested, JSON.stringify({ stage: { uri: 'galil+tcp://127.0.0.1:23', axes: { A: { speed: 1 } } } }).replace('"speed":1', '"speed":1,"speed":1e30'));
  t.throws(() => readRigFile(nested), { message: /key 'speed' appears twice in stage\.axes\.A \(line 1/ });
  const yaml = join(dir, 'dup.yaml');
  writeFileSync(yaml, 'stage: galil+tcp://127.0.0.1:23\nstage: galil+tcp://127.0.0.1:24\n');
  t.throws(() => readRigFile(yaml), { message: /Map keys must be unique/ }, 'YAML refuses them too');
  const fine = join(dir, 'fine.json');
  writeFileSync(fine, JSON.stringify({ a: { uri: 'galil+tcp://127.0.0.1:23', axes: { A: { speed: 1 }, B: { speed: 1 } } }, b: 'galil+tcp://127.0.0.1:24' }));
  t.same(Object.keys(readRigFile(fine) as object), ['a', 'b'], 'the same key in two different objects is fine');
  const map = join(dir, 'map.json');
  writeFileSync(map, '[{"name":"sp","table":"holding","address":0,"address":1}]');
  t.match(errorOf(() => checkEntry('dev', { uri: `modbus+tcp://127.0.0.1:502?map=${map}` }, 'rig')).message, /parameter 'map': cannot be read as a JSON register map: key 'address' appears twice in \[0\]/, 'a JSON map file too');
});

t.test('findDuplicateKey: strings with quotes, braces and escapes; arrays; unicode escapes', async (t) => {
  t.equal(findDuplicateKey('{"a":"}\\"{","b":["a","a",{"a":1}],"c":{"a":{"a":2}}}'), undefined, 'no false alarm');
  t.match(findDuplicateKey('{"a":1,"\\u0061":2}'), { key: 'a', path: '' }, 'an escaped spelling is the same key');
  t.match(findDuplicateKey('[{"x":1},{"y":[{"k":1,"k":2}]}]'), { key: 'k', path: '[1].y[0]', line: 1 });
  t.match(findDuplicateKey('{\n"a" : {"b":1},\n"a":2}'), { key: 'a', line: 3, column: 1, firstLine: 2, firstColumn: 1 });
});
