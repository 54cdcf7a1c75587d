/**
 * A family from outside labrig's own list plugs in through the same public calls labrig's
 * families use (`registerFamily`, `registerSimulator`): its URIs open in rigs and `labrig read`,
 * `sim:<name>` starts its simulator, its parameters are checked by the one schema, the rig-wide
 * e-stop asks its confirmation, and the registries refuse clashes and forget it again.
 */
import t from 'tap';
import net from 'node:net';
import { readCli, type CliIO } from '../../src/cli/read-set.js';
import { StandardReadable } from '../../src/core/device/standard-readable.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { softSignalRAndSetter } from '../../src/core/signal/factories.js';
import type { SignalR } from '../../src/core/signal/signal.js';
import { defineFamily, streamOf, type FamilyDescriptor } from '../../src/drivers/family.js';
import { familyForScheme, registerFamily, registeredFamilies, unregisterFamily } from '../../src/drivers/registry.js';
import { serialTransport, tcpTransport } from '../../src/protocols/address.js';
import { createRequestChannel } from '../../src/protocols/channel/channel.js';
import type { RequestChannel } from '../../src/protocols/contracts.js';
import { parseAddress, registeredSchemes } from '../../src/protocols/uri.js';
import { loadRig, registerBuiltinFamilies } from '../../src/rig/index.js';
import { defineSimulator } from '../../src/sim/family.js';
import { registerSimulator, unregisterSimulator } from '../../src/sim/registry.js';
import { withLeakGuard } from '../../src/testing/index.js';

/** A temperature bath answering `T?` with its temperature and `STOP` with `OK`. */
class Bath extends StandardReadable {
  readonly temperature: SignalR<number>;
  readonly #set: (v: number) => void;
  readonly #channel: RequestChannel | undefined;
  stopped = false;
  constructor(name: string, channel: RequestChannel | undefined) {
    super(name);
    [this.temperature, this.#set] = softSignalRAndSetter(0, { units: 'degC' });
    this.#channel = channel;
    this.addReadables([this.temperature], 'hinted');
    this.setName(name);
  }
  override async connect(options: { mock?: boolean; timeoutMs?: number } = {}): Promise<void> {
    await super.connect(options);
    if (options.mock || !this.#channel) return;
    await this.#channel.open({ timeoutMs: options.timeoutMs ?? 2000 });
    this.#set(Number((await this.#channel.request('T?')).text));
  }
  async stop(): Promise<void> {
    if (this.#channel) await this.#channel.request('STOP');
    this.stopped = true;
  }
  async close(): Promise<void> {
    await this.#channel?.close();
  }
}

const bathFamily: FamilyDescriptor<{ maxTemp?: number }, Bath> = defineFamily({
  name: 'bath',
  title: 'CR-terminated ASCII temperature bath (test family)',
  schemes: [{ scheme: 'bath+tcp', transport: tcpTransport({ defaultPort: 4001 }), example: 'bath+tcp://10.0.0.7:4001' }],
  params: { maxTemp: { type: 'number', min: -40, max: 200, units: 'degC', doc: 'highest setpoint' } },
  open: async (target, _o, { name }) => {
    const bath = new Bath(name, createRequestChannel(streamOf(target), { framing: { mode: 'terminator', terminators: ['\r'] }, suffix: '\r', timeoutMs: 1000 }));
    await bath.connect({ timeoutMs: 3000 });
    return bath;
  },
  createMock: (_o, { name }) => new Bath(name, undefined),
  confirmStopped: async (bath) => (bath.stopped ? 'heater off' : 'still heating'),
});

/** Serve the bath's protocol on 127.0.0.1; resolves with its port and a close function. */
async function bathServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r'); i >= 0; i = buf.indexOf('\r')) {
        const cmd = buf.slice(0, i);
        buf = buf.slice(i + 1);
        s.write(cmd === 'T?' ? '21.5\r' : cmd === 'STOP' ? 'OK\r' : 'ERR\r');
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    }),
  };
}

const bathSimulator = defineSimulator({
  name: 'bath',
  family: 'bath',
  title: 'temperature bath on TCP loopback (test simulator)',
  params: {},
  async start() {
    const s = await bathServer();
    return { uri: `bath+tcp://127.0.0.1:${s.port}`, handle: s, close: s.close };
  },
  usage: 'usage: labrig sim bath',
  cli: async () => 0,
});

function capture(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l), progress: { isTTY: false, write: () => true } as never };
}

t.test('a third-party family works in rigs and labrig read once registered, and is forgotten after', async (t) => {
  registerBuiltinFamilies();
  t.throws(() => parseAddress('bath+tcp://127.0.0.1'), { message: /unknown scheme/ }, 'not known before it is registered');
  registerFamily(bathFamily);
  registerSimulator(bathSimulator);
  t.teardown(() => {
    unregisterFamily('bath');
    unregisterSimulator('bath');
  });
  registerFamily(bathFamily); // the same descriptor again: nothing happens
  t.equal(familyForScheme('bath+tcp'), bathFamily);
  t.match(parseAddress('bath+tcp://127.0.0.1?maxTemp=90'), { family: 'bath', port: 4001, params: { maxTemp: '90' } }, 'its scheme is in the URI factory, with its default port');
  t.throws(() => parseAddress('bath+tcp://127.0.0.1?maxTemp=900'), { message: /^parameter 'maxTemp': must be a number in -40\.\.200 \(degC\)/ });

  await withLeakGuard(async () => {
    const rig = await loadRig({ bath: 'sim:bath', stage: { uri: 'sim:galil', axes: { A: {} } } });
    try {
      t.equal(await (rig.get('bath') as unknown as Bath).temperature.getValue(), 21.5, 'read over the wire at connect');
      const report = await rig.eStop();
      t.ok(report.ok);
      t.equal(report.results['bath']!.detail, 'heater off', "the family's confirmation");
    } finally {
      await rig.close();
    }
    const srv = await bathServer();
    try {
      const io = capture();
      t.equal(await readCli([`bath+tcp://127.0.0.1:${srv.port}`], io), 0);
      t.same(io.lines, ['temperature 21.5 degC']);
    } finally {
      await srv.close();
    }
  }, { graceMs: 1000 });
});

t.test('the registries refuse clashes', async (t) => {
  registerBuiltinFamilies();
  const clash = defineFamily({ ...bathFamily, name: 'bath2', schemes: [{ scheme: 'galil+tcp', transport: tcpTransport(), example: 'galil+tcp://h:23' }] });
  t.throws(() => registerFamily(clash), { message: /^family bath2 scheme: is already the galil family's \(got "galil\+tcp"\)/ });
  t.throws(() => registerFamily({ ...bathFamily, name: 'galil' }), { message: /already registered/ });
  t.throws(() => registerSimulator({ ...bathSimulator, name: 'galil' }), InvalidInputError);
  t.throws(() => defineFamily({ ...bathFamily, params: { baud: { type: 'integer', doc: 'x' } }, schemes: [{ scheme: 'bath+serial', transport: serialTransport(), example: 'x' }] }), { message: /repeats a parameter of the serial transport/ });
  t.notOk(registeredFamilies().some((f) => f.name === 'bath2'));
  t.notOk(registeredSchemes().includes('bath+tcp'), 'the earlier test unregistered its scheme');
});
