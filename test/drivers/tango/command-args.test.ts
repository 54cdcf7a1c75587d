/**
 * A Tango command's argument is checked against its declared in_type before anything is sent:
 * the pure rule (every argument type TangoTest has) and, against the real TangoTest, that the
 * device's command callables refuse with InvalidInputError and never call the backend.
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { parseTangoAddress, type TangoArgType } from '../../../src/drivers/tango/backend.js';
import { commandArgProblem } from '../../../src/drivers/tango/command-args.js';
import { connectTangoDevice } from '../../../src/drivers/tango/device.js';
import { TangoSidecarBackend } from '../../../src/drivers/tango/sidecar.js';
import { startTangoTest, tangoTestAvailable } from '../../../src/sim/tango/index.js';

t.test('the rule, type by type', async (t) => {
  const ok: Array<[TangoArgType, unknown]> = [
    ['DevVoid', undefined],
    ['DevBoolean', false],
    ['DevShort', -32768],
    ['DevUShort', 65535],
    ['DevLong', 2147483647],
    ['DevULong', 0],
    ['DevLong64', -(2 ** 53) + 1],
    ['DevLong64', -(2n ** 63n)],
    ['DevULong64', 2n ** 64n - 1n],
    ['DevFloat', 1.5],
    ['DevDouble', Number.NaN],
    ['DevString', ''],
    ['ConstDevString', 'x'],
    ['DevState', 'MOVING'],
    ['DevVarCharArray', Uint8Array.from([0, 255])],
    ['DevVarShortArray', [1, -2]],
    ['DevVarLongArray', Int32Array.from([5])],
    ['DevVarLong64Array', [1n, 2n]],
    ['DevVarFloatArray', Float32Array.from([0.5])],
    ['DevVarDoubleArray', { data: Float64Array.from([1, 2]), shape: [2] }],
    ['DevVarStringArray', ['a', 'b']],
    ['DevVarBooleanArray', [true]],
    ['DevVarDoubleArray', []],
    ['DevVarLongStringArray', { numbers: [1, 2], strings: ['a'] }],
    ['DevVarDoubleStringArray', { numbers: [0.5], strings: [] }],
  ];
  for (const [type, arg] of ok) t.equal(commandArgProblem(type, arg), undefined, `${type} takes ${String(arg)}`);
  const bad: Array<[TangoArgType, unknown, RegExp]> = [
    ['DevVoid', 1, /takes no argument/],
    ['DevDouble', undefined, /needs a DevDouble argument/],
    ['DevDouble', 'x', /DevDouble needs a number/],
    ['DevShort', 2.5, /DevShort needs an integer/],
    ['DevShort', 40000, /DevShort: 40000 is outside -32768\.\.32767/],
    ['DevUShort', -1, /DevUShort: -1 is outside 0\.\.65535/],
    ['DevULong64', -1n, /DevULong64: -1 is out of range/],
    ['DevLong', 1n, /DevLong needs an integer/],
    ['DevBoolean', 1, /DevBoolean needs a boolean/],
    ['DevString', 3, /DevString needs a string/],
    ['ConstDevString', null, /DevString needs a string/],
    ['DevState', 'SLEEPING', /DevState needs one of ON, OFF/],
    ['DevVarLongArray', 5, /DevVarLongArray needs an array/],
    ['DevVarLongArray', [1, 'x'], /DevLong needs an integer \(element 1\)/],
    ['DevVarCharArray', [0, 256], /DevUChar: 256 is outside 0\.\.255 \(element 1\)/],
    ['DevVarStringArray', ['a', 1], /DevString needs a string \(element 1\)/],
    ['DevVarBooleanArray', [true, 0], /DevBoolean needs a boolean \(element 1\)/],
    ['DevVarDoubleArray', new DataView(new ArrayBuffer(8)), /needs an array/],
    ['DevVarLongStringArray', [1, 'a'], /needs \{numbers, strings\}/],
    ['DevVarLongStringArray', { numbers: [1.5], strings: [] }, /DevLong needs an integer \(element 0\)/],
    ['DevVarDoubleStringArray', { numbers: [1], strings: [2] }, /DevString needs a string \(element 0\)/],
  ];
  for (const [type, arg, reason] of bad) t.match(commandArgProblem(type, arg), reason, `${type} refuses ${String(arg)}`);
});

const skip = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';

t.test('TangoTest commands: bad arguments refused before the backend is called', { skip }, async (t) => {
  const tt = await startTangoTest();
  t.teardown(() => tt.close());
  const backend = new TangoSidecarBackend({ timeoutMs: 5000 });
  const d = await connectTangoDevice(backend, parseTangoAddress(tt.address), undefined, { connectTimeoutMs: 20000 });
  t.teardown(() => d.close());
  const sent: string[] = [];
  const command = backend.command.bind(backend);
  backend.command = (name, arg, options) => {
    sent.push(name);
    return command(name, arg, options);
  };
  const refused: Array<[string, unknown, RegExp]> = [
    ['DevDouble', 'x', /DevDouble needs a number/],
    ['DevShort', 1e9, /DevShort: 1000000000 is outside/],
    ['DevVarLongArray', [1, 2.5], /element 1/],
    ['DevVarStringArray', 'abc', /needs an array/],
    ['DevVarDoubleStringArray', { numbers: ['x'], strings: [] }, /DevDouble needs a number \(element 0\)/],
    ['DevBoolean', 'yes', /DevBoolean needs a boolean/],
  ];
  for (const [name, arg, reason] of refused) {
    const e = await d.commands[name]!(arg as never).catch((x: unknown) => x);
    t.type(e, InvalidInputError, `${name}(${JSON.stringify(arg)}): ${String(e)}`);
    t.match((e as Error).message, new RegExp(`^${d.name}\\.${name}: `), 'names the device and command');
    t.match((e as Error).message, reason);
  }
  t.same(sent, [], 'nothing reached the backend');
  t.equal(await d.commands['DevDouble']!(2.5), 2.5, 'a good argument still goes through');
  t.same(sent, ['DevDouble']);
});
