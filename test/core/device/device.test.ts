import t from 'tap';
import { withLeakGuard } from '../../../src/testing/leak-guard.js';
import { NotConnectedError, TimeoutError } from '../../../src/core/errors.js';
import { Device, DeviceVector } from '../../../src/core/device/device.js';
import { softSignalR, softSignalRW } from '../../../src/core/signal/factories.js';
import { SignalR } from '../../../src/core/signal/signal.js';
import { SignalRW } from '../../../src/core/signal/writable.js';
import { CountingBackend, flush } from '../signal/fake-backend.js';

class Axis extends Device {
  readonly position = softSignalR(0);
  readonly _offset = softSignalRW(0);
  constructor(name = '') {
    super(name);
    this.setName(name);
  }
}

class Stage extends Device {
  readonly x: Axis;
  readonly y: Axis;
  readonly temperature = softSignalR(20);
  readonly #other: Device;
  constructor(name: string, other: Device) {
    super(name);
    this.x = new Axis();
    this.y = new Axis();
    this.#other = other;
    this.setName(name);
  }
  get other(): Device {
    return this.#other;
  }
}

t.test('children get parent links and dotted-by-dash names; setName renames the subtree', (t) =>
  withLeakGuard(async () => {
  const outsider = new Axis('outsider');
  const stage = new Stage('stage', outsider);
  t.same(stage.children().map(([attr]) => attr), ['x', 'y', 'temperature'], 'declaration order');
  t.equal(stage.x.name, 'stage-x');
  t.equal(stage.x.position.name, 'stage-x-position');
  t.equal(stage.x._offset.name, 'stage-x-offset', 'leading _ dropped from the name');
  t.equal(stage.temperature.name, 'stage-temperature');
  t.equal(stage.x.parent, stage);
  t.equal(stage.x.position.parent, stage.x);
  t.equal(stage.other.parent, undefined, 'a #private reference is not a child');
  t.equal(stage.other.name, 'outsider');
  stage.setName('s2');
  t.equal(stage.y.position.name, 's2-y-position');
  stage.setName('');
  t.equal(stage.y.position.name, '', 'an unnamed parent leaves children unnamed');
  }));

t.test('a device owned by one parent is not claimed by another, nor is an ancestor', (t) =>
  withLeakGuard(async () => {
  const a = new Axis('a');
  class Holder extends Device {
    readonly axis: Axis;
    readonly up: Device | undefined;
    constructor(name: string, axis: Axis) {
      super(name);
      this.axis = axis;
      this.up = undefined;
      this.setName(name);
    }
  }
  const h1 = new Holder('h1', a);
  const h2 = new Holder('h2', a);
  t.equal(a.parent, h1);
  t.equal(a.name, 'h1-axis');
  t.same(h2.children(), []);
  // A child pointing back at its parent does not make a cycle.
  const parent = new Holder('p', new Axis());
  (parent.axis as unknown as { back: Device }).back = parent;
  t.same(parent.axis.children().map(([k]) => k), ['position', '_offset']);
  }));

t.test('DeviceVector names numbered children', (t) =>
  withLeakGuard(async () => {
  class Rack extends Device {
    readonly channels = new DeviceVector({ 1: new Axis(), 2: new Axis() });
    constructor(name: string) {
      super(name);
      this.setName(name);
    }
  }
  const rack = new Rack('rack');
  t.equal(rack.channels.get(2)?.position.name, 'rack-channels-2-position');
  t.equal(rack.channels.size, 2);
  t.same([...rack.channels].map(([k]) => k), [1, 2]);
  }));

t.test('children are adopted on connect even if the constructor forgot setName', (t) =>
  withLeakGuard(async () => {
  class Lazy extends Device {
    readonly v = softSignalR(1);
  }
  const d = new Lazy('lazy');
  await d.connect();
  t.equal(d.v.name, 'lazy-v');
  }));

function failingSignal(message: string): SignalR<number> {
  const b = new CountingBackend(0);
  b.connectError = new Error(message);
  return new SignalR(b);
}

t.test('connect failures of several children come back in ONE NotConnectedError tree', (t) =>
  withLeakGuard(async () => {
  class Inner extends Device {
    readonly good = softSignalR(0);
    readonly bad = failingSignal('no reply from controller');
    constructor(name = '') {
      super(name);
      this.setName(name);
    }
  }
  class Outer extends Device {
    readonly ok = softSignalR(0);
    readonly pressure = failingSignal('port busy');
    readonly flow = failingSignal('bad checksum');
    readonly inner = new Inner();
    constructor(name: string) {
      super(name);
      this.setName(name);
    }
  }
  const dev = new Outer('rig');
  const err = await dev.connect({ timeoutMs: 2000 }).then(() => undefined, (e: unknown) => e);
  t.type(err, NotConnectedError);
  const nce = err as NotConnectedError;
  t.equal(nce.device, 'rig');
  t.same([...nce.errors.keys()].sort(), ['flow', 'inner', 'pressure']);
  t.match(nce.errors.get('pressure')?.message, /port busy/);
  t.type(nce.errors.get('inner'), NotConnectedError);
  t.same(nce.leaves().map(([path]) => path).sort(), ['flow', 'inner.bad', 'pressure']);
  t.match(nce.message, /pressure: Error: port busy/);
  t.match(nce.message, /flow: Error: bad checksum/);
  t.match(nce.message, /inner:\n\s+bad: Error: no reply from controller/);
  }));

t.test('children connect in parallel and a slow child fails with TimeoutError', (t) =>
  withLeakGuard(async () => {
  const started: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const mk = (label: string, gated: boolean): SignalR<number> => {
    const b = new CountingBackend(0);
    const orig = b.connect.bind(b);
    b.connect = async () => {
      started.push(label);
      if (gated) await gate;
      return orig();
    };
    return new SignalR(b);
  };
  class Two extends Device {
    readonly a = mk('a', true);
    readonly b = mk('b', true);
    constructor() {
      super('two');
      this.setName('two');
    }
  }
  const two = new Two();
  const p = two.connect();
  await flush();
  t.same(started, ['a', 'b'], 'both started before either finished');
  open();
  await p;

  const neverB = new CountingBackend(0);
  neverB.connectGate = new Promise(() => undefined);
  class Hangs extends Device {
    readonly fast = softSignalR(0);
    readonly stuck = new SignalR(neverB);
    constructor() {
      super('h');
      this.setName('h');
    }
  }
  const err = (await new Hangs().connect({ timeoutMs: 30 }).then(() => undefined, (e: unknown) => e)) as NotConnectedError;
  t.type(err, NotConnectedError);
  t.same([...err.errors.keys()], ['stuck']);
  t.type(err.errors.get('stuck'), TimeoutError);
  t.equal((err.errors.get('stuck') as TimeoutError).afterMs, 30);
  t.match(err.errors.get('stuck')?.message, /h-stuck\.connect/);
  }));

t.test('connect is reused in the same mode, retried after failure, and mock reaches every signal', (t) =>
  withLeakGuard(async () => {
  const flaky = new CountingBackend(0);
  flaky.connectError = new Error('first try fails');
  class D extends Device {
    readonly s = new SignalRW(flaky);
    readonly t = softSignalRW(1, { units: 'K' });
    constructor() {
      super('d');
      this.setName('d');
    }
  }
  const d = new D();
  await t.rejects(d.connect(), NotConnectedError);
  flaky.connectError = undefined;
  const p1 = d.connect();
  t.equal(d.connect(), p1, 'same promise while in the same mode');
  await p1;
  t.equal(flaky.connectCalls, 2, 'the failed connect was retried');
  await d.connect();
  t.equal(flaky.connectCalls, 2, 'a connected device is not connected again');
  await d.connect({ force: true });
  t.equal(flaky.connectCalls, 3, 'force connects again');
  await d.connect({ mock: true });
  t.ok(d.s.isMock && d.t.isMock, 'every signal swapped to a mock');
  t.equal(flaky.connectCalls, 3, 'mock mode does not touch the real backend');
  t.equal((await d.t.describe())['d-t']?.units, 'K');
  }));
