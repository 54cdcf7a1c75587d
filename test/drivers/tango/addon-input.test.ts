/**
 * The addon refuses a value the attribute or command cannot take with an InvalidInputError that
 * names the device and the operation once and says what was wrong, before anything is sent to
 * the server (the attribute keeps its value). Skips where the addon or TangoTest is missing.
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { parseTangoAddress } from '../../../src/drivers/tango/backend.js';
import { TangoAddonBackend } from '../../../src/drivers/tango/addon.js';
import { startTangoTest } from '../../../src/sim/tango/index.js';
import { addonSkip } from './addon-script.js';

const skip = addonSkip;

t.test('bad values: one InvalidInputError naming the operation once; nothing written', { skip }, async (t) => {
  const tt = await startTangoTest();
  t.teardown(() => tt.close());
  const b = new TangoAddonBackend({ timeoutMs: 5000 });
  t.teardown(() => b.close());
  await b.connect(parseTangoAddress(tt.address), { timeoutMs: 20000 });
  await b.writeAttribute('short_scalar', 7);
  const mixed = ['a', 1] as unknown as number[];
  const cases: Array<[string, unknown, () => Promise<unknown>, RegExp]> = [
    ['mixed array', mixed, () => b.writeAttribute('double_spectrum', mixed), /^sys\/tg_test\/1: write double_spectrum: array mixes strings with other values \(element 1\) \(got \["a",1\]\)$/],
    ['string for a double', 'x', () => b.writeAttribute('double_scalar', 'x'), /^sys\/tg_test\/1: write double_scalar: DevDouble needs a number \(got "x"\)$/],
    ['out of DevShort range', 1e9, () => b.writeAttribute('short_scalar', 1e9), /^sys\/tg_test\/1: write short_scalar: DevShort: 1000000000 is out of range \(got 1000000000\)$/],
    ['fraction for a DevShort', 2.5, () => b.writeAttribute('short_scalar', 2.5), /^sys\/tg_test\/1: write short_scalar: DevShort needs an integer, got 2\.5 \(got 2\.5\)$/],
    ['string argument of DevDouble', 'x', () => b.command('DevDouble', 'x'), /^sys\/tg_test\/1: command DevDouble: DevDouble needs a number \(got "x"\)$/],
  ];
  for (const [label, input, call, message] of cases) {
    const e = await call().catch((x: unknown) => x);
    t.type(e, InvalidInputError, `${label}: ${String(e)}`);
    t.equal((e as InvalidInputError).value, input, `${label}: the error carries the value sent`);
    const text = (e as Error).message;
    t.match(text, message, label);
    const op = /^sys\/tg_test\/1: ((?:write|command) \w+):/.exec(text)?.[1] ?? '';
    t.equal(text.split(op).length - 1, 1, `${label}: '${op}' appears once in: ${text}`);
  }
  const [r] = await b.readAttributes(['short_scalar']);
  t.equal(r!.writeValue, 7, 'the refused writes did not reach the server');
});
