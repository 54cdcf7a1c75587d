import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { StandardReadable } from '../../../src/core/device/standard-readable.js';
import { softSignalR, softSignalRW } from '../../../src/core/signal/factories.js';
import { SignalR } from '../../../src/core/signal/signal.js';
import { assertValidDocument } from '../../helpers/schemas.js';
import { CountingBackend, flush } from '../signal/fake-backend.js';

class Thermometer extends StandardReadable {
  readonly temperature = softSignalR(21.5, { units: 'degC', precision: 2 });
  readonly raw: SignalR<number>;
  readonly status = softSignalR('ok');
  readonly gain = softSignalRW(2, { units: 'V/V' });
  readonly rawBackend = new CountingBackend(1234);
  constructor(name: string) {
    super(name);
    this.raw = new SignalR(this.rawBackend);
    this.addReadables([this.temperature], 'hinted');
    this.addReadables([this.raw], 'uncached');
    this.addReadables([this.status]);
    this.addReadables([this.gain], 'config');
    this.setName(name);
  }
}

class Bench extends StandardReadable {
  readonly th = new Thermometer('');
  readonly pressure = softSignalR(1.01, { units: 'bar' });
  constructor(name: string) {
    super(name);
    this.addReadables([this.th]);
    this.addReadables([this.pressure], 'hinted-uncached');
    this.setName(name);
  }
}

t.test('read/describe/hints/configuration are derived from the declared signals', async (t) => {
  const th = new Thermometer('th1');
  const r = await th.read();
  t.same(Object.keys(r).sort(), ['th1-raw', 'th1-status', 'th1-temperature']);
  t.equal(r['th1-temperature']?.value, 21.5);
  t.equal(r['th1-raw']?.value, 1234);
  const d = await th.describe();
  t.same(Object.keys(d).sort(), Object.keys(r).sort(), 'describe matches read');
  t.equal(d['th1-temperature']?.units, 'degC');
  t.same(th.hints, { fields: ['th1-temperature'] });
  const c = await th.readConfiguration();
  t.same(Object.keys(c), ['th1-gain']);
  t.equal(c['th1-gain']?.value, 2);
  const dc = await th.describeConfiguration();
  t.equal(dc['th1-gain']?.units, 'V/V');
  // Everything fits an event-model descriptor.
  assertValidDocument('descriptor', {
    uid: 'd', run_start: 's', time: 1, name: 'primary', hints: { th1: th.hints }, object_keys: { th1: Object.keys(d) },
    data_keys: d,
    configuration: { th1: { data: { 'th1-gain': 2 }, timestamps: { 'th1-gain': c['th1-gain']!.timestamp }, data_keys: dc } },
  });
});

t.test('child devices are merged: read, configuration and hints', async (t) => {
  const bench = new Bench('bench');
  const r = await bench.read();
  t.same(Object.keys(r).sort(), ['bench-pressure', 'bench-th-raw', 'bench-th-status', 'bench-th-temperature']);
  t.same(bench.hints.fields?.sort(), ['bench-pressure', 'bench-th-temperature']);
  t.same(Object.keys(await bench.readConfiguration()), ['bench-th-gain']);
  t.same(Object.keys(await bench.describeConfiguration()), ['bench-th-gain']);
});

t.test('stage() caches the cached signals; uncached ones always ask the backend', async (t) => {
  const th = new Thermometer('th');
  const tempBackend = th.temperature.backend;
  let tempReads = 0;
  const origRead = tempBackend.getReading.bind(tempBackend);
  tempBackend.getReading = () => {
    tempReads++;
    return origRead();
  };
  await th.read();
  t.equal(tempReads, 1);
  await th.stage();
  t.ok(th.temperature.subscribed && th.status.subscribed, 'cached signals subscribed');
  t.notOk(th.raw.subscribed, 'uncached signal not staged');
  t.notOk(th.gain.subscribed, 'config signal not staged');
  await flush();
  await th.read();
  await th.read();
  t.equal(tempReads, 1, 'staged reads come from the cache');
  t.equal(th.rawBackend.getReadingCalls, 3, 'the uncached signal was read from its backend every time');
  await th.unstage();
  t.notOk(th.temperature.subscribed, 'unstage released the subscription');
  await th.read();
  t.equal(tempReads, 2);
  // Staging a parent stages its readable children.
  const bench = new Bench('b');
  await bench.stage();
  t.ok(bench.th.temperature.subscribed);
  t.notOk(bench.pressure.subscribed, 'hinted-uncached not staged');
  await bench.unstage();
  t.notOk(bench.th.temperature.subscribed);
});

t.test('signal formats need signals; redeclaring changes the format', async (t) => {
  const th = new Thermometer('x');
  const plain = { name: 'p', read: () => ({}), describe: () => ({}) };
  t.throws(() => th.addReadables([plain], 'hinted'), InvalidInputError);
  th.addReadables([th.status], 'hinted');
  t.same(th.hints.fields, ['x-temperature', 'x-status']);
  th.addReadables([plain]);
  t.same(Object.keys(await th.read()).length, 3, 'a plain readable child contributes its (empty) read');
});
