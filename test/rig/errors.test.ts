/**
 * One schema, one text (issues 8 and 15): the same bad parameter gets the same error text from
 * `openX(uri)`, from `labrig read <uri>`, and from the rig loader (which only says where it was),
 * whether it was written in the URI or as a rig option; the drift between the families' old
 * parsers is gone; absurd rig options are refused before any connection is made.
 */
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCli, type CliIO } from '../../src/cli/read-set.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { openAlicat } from '../../src/drivers/alicat/index.js';
import { openGalil } from '../../src/drivers/galil/index.js';
import { openLegato } from '../../src/drivers/legato/index.js';
import { loadRig, registerBuiltinFamilies } from '../../src/rig/index.js';
import { parseAddress } from '../../src/protocols/uri.js';

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

async function message(p: () => Promise<unknown>): Promise<string> {
  try {
    await p();
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.message;
  }
  throw new Error('no error');
}

const dir = mkdtempSync(join(tmpdir(), 'labrig-errors-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const CASES = [
  { label: 'baud=abc (alicat)', uri: 'alicat+serial:///dev/ttyUSB0?unit=A&baud=abc', base: 'alicat+serial:///dev/ttyUSB0?unit=A', option: { baud: 'abc' }, open: (u: string, o = {}) => openAlicat(u, o), text: `parameter 'baud': must be an integer in 1..20000000 (bit/s) (got "abc")` },
  { label: 'parity=maybe (galil)', uri: 'galil+serial:///dev/ttyUSB0?parity=maybe', base: 'galil+serial:///dev/ttyUSB0', option: { parity: 'maybe' }, open: (u: string, o = {}) => openGalil(u, o), text: `parameter 'parity': must be one of none, even, odd, mark, space (got "maybe")` },
  { label: 'parity=maybe (legato)', uri: 'legato+serial:///dev/ttyUSB0?parity=maybe', base: 'legato+serial:///dev/ttyUSB0', option: { parity: 'maybe' }, open: (u: string, o = {}) => openLegato(u, o), text: `parameter 'parity': must be one of none, even, odd, mark, space (got "maybe")` },
  { label: 'unknown parameter (galil, passed silently before)', uri: 'galil+tcp://127.0.0.1:1?colour=red', base: 'galil+tcp://127.0.0.1:1', option: { colour: 'red' }, open: (u: string, o = {}) => openGalil(u, o), text: `parameter 'colour': unknown for galil+tcp:// (known: connectTimeoutMs, keepAliveMs, axes, io, timeoutMs, pollMs, enableOnConnect) (got "red")` },
] as const;

for (const c of CASES) {
  t.test(`${c.label}: the same text from openX(), labrig read and the rig loader`, async (t) => {
    t.equal(await message(() => c.open(c.uri)), c.text, 'openX(uri)');
    t.equal(await message(() => c.open(c.base, c.option)), c.text, 'openX(uri, options)');
    const io = capture();
    t.equal(await readCli([c.uri], io), 2, 'a usage error, found before connecting');
    t.same(io.errors, [`labrig read: InvalidInputError: ${c.text}`], 'labrig read');
    t.equal(await message(() => loadRig({ dev: c.uri })), `rig device 'dev': ${c.text}`, 'rig (in the URI)');
    const file = join(dir, `${c.label.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, `dev:\n  uri: "${c.base}"\n${Object.entries(c.option).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`);
    t.equal(await message(() => loadRig(file)), `rig ${file} device 'dev': ${c.text}`, 'rig file (as an option)');
    const set = capture();
    const { setCli } = await import('../../src/cli/read-set.js');
    t.equal(await setCli([c.uri, 'x', '1'], set), 2, 'a usage error, found before connecting');
    t.same(set.errors, [`labrig set: InvalidInputError: ${c.text}`], 'labrig set');
  });
}

t.test('the drift is gone: every serial scheme takes parity, every TCP scheme connectTimeoutMs and keepAliveMs', async (t) => {
  registerBuiltinFamilies();
  for (const s of ['galil+serial', 'alicat+serial', 'legato+serial']) {
    t.match(parseAddress(`${s}:///dev/ttyUSB0?parity=even&stopBits=2`), { parity: 'even', stopBits: 2 }, s);
  }
  for (const s of ['galil+tcp', 'alicat+tcp', 'legato+tcp']) {
    t.match(parseAddress(`${s}://127.0.0.1:4001?connectTimeoutMs=500&keepAliveMs=0`), { connectTimeoutMs: 500, keepAliveMs: 0 }, s);
  }
  t.match(parseAddress('galil+tcp://10.0.0.5'), { port: 23 }, 'defaults stay: Galil port 23');
  t.match(parseAddress('legato+serial:///dev/ttyACM0'), { baudRate: 115200 }, 'Legato 115200 baud');
  t.match(parseAddress('alicat+serial:///dev/ttyACM0'), { baudRate: 19200 }, 'Alicat 19200 baud');
  t.throws(() => parseAddress('alicat+tcp://127.0.0.1?unit=A'), { message: /^alicat\+tcp address port: missing port/ }, 'a gateway still needs its port');
});

t.test('absurd rig options are refused before any connection is made', async (t) => {
  let connections = 0;
  const srv = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as net.AddressInfo).port;
  const stage = `galil+tcp://127.0.0.1:${port}`;
  const text = await message(() => loadRig({ stage: { uri: stage, axes: { A: { countsPerUnit: 1000, speed: 1e30 } } } }));
  t.match(text, /^rig device 'stage': parameter 'axes\.A\.speed': must be within 0\.\.22000 mm\/s \(the controller's 0\.\.22000000 counts\/s at 1000 counts\/mm\)/);
  t.match(await message(() => openGalil(stage, { axes: { x: { axis: 'A', acceleration: 0.5 } } })), /^parameter 'axes\.x\.acceleration': must be within 1024\.\.1073740800 counts\/s\^2/);
  t.match(await message(() => loadRig({ pump: { uri: `legato+tcp://127.0.0.1:${port}`, diameterMm: 4.6, infuseRate: '1000 ml/min' } })), /^rig device 'pump': parameter 'infuseRate': must be within .* ul\/min/);
  t.match(await message(() => loadRig({ pump: { uri: `legato+tcp://127.0.0.1:${port}`, model: 'legato100', withdrawRate: 10 } })), /parameter 'withdrawRate': the legato100 cannot withdraw/);
  t.equal(connections, 0, 'nothing connected');
});
