import t from 'tap';
import {
  CanceledError, DeviceError, DisconnectedError, InvalidInputError, LabrigError, LimitsError, NotConnectedError,
  TimeoutError, UnsupportedError, isCanceled, isDisconnected, toError,
} from '../../src/core/errors.js';

t.test('NotConnectedError keeps a tree of failures and lists its leaves', async (t) => {
  const sub = new NotConnectedError({ device: 'stage.x', errors: new Map([['motor', new Error('refused')]]) });
  const err = new NotConnectedError({ device: 'stage', errors: new Map<string, Error>([['x', sub], ['y', new TimeoutError({ operation: 'connect y', afterMs: 100 })]]) });
  t.same(err.leaves().map(([p]) => p), ['x.motor', 'y']);
  t.match(err.message, /x:\n\s+motor: Error: refused/);
  t.match(err.message, /y: TimeoutError: connect y: timed out after 100 ms/);
  t.equal(err.code, 'NOT_CONNECTED');
  t.equal(err.name, 'NotConnectedError');
  t.ok(err instanceof LabrigError);
});

t.test('LimitsError names device, value, limits and units', async (t) => {
  const e = new LimitsError({ device: 'stage.x', value: 12, low: -5, high: 5, units: 'mm' });
  t.equal(e.message, 'stage.x: 12 mm is outside the limits [-5 mm, 5 mm]');
  t.same([e.device, e.value, e.low, e.high, e.units], ['stage.x', 12, -5, 5, 'mm']);
});

t.test('DeviceError maps vendor codes through a table', async (t) => {
  const table = { 1: 'Unrecognized command', 22: { text: 'Begin not possible due to limit switch', kind: 'limit' } };
  const a = DeviceError.fromCode({ device: 'galil', code: 1, table });
  t.equal(a.vendorMessage, 'Unrecognized command');
  t.equal(a.vendorCode, 1);
  const b = DeviceError.fromCode({ device: 'galil', code: 22, table });
  t.equal(b.kind, 'limit');
  t.match(b.message, /galil: device error \[22\]: Begin not possible/);
  const c = DeviceError.fromCode({ device: 'galil', code: 999, table });
  t.equal(c.vendorMessage, 'unknown vendor error code');
});

t.test('markers and helpers', async (t) => {
  t.ok(isCanceled(new CanceledError('stop pressed')));
  t.notOk(isCanceled(new Error('x')));
  t.ok(isDisconnected(new DisconnectedError({ device: 'mfc', detail: 'socket closed' })));
  t.equal(new UnsupportedError({ device: 'det', verb: 'set' }).message, "det does not support 'set'");
  t.equal(new InvalidInputError({ what: 'pump.rate', value: -1, reason: 'must be positive' }).message, 'pump.rate: must be positive (got -1)');
  const wrapped = toError('a string');
  t.ok(wrapped instanceof LabrigError);
  t.match(wrapped.message, /"a string"/);
  const e = new Error('kept');
  t.equal(toError(e), e);
});
