/**
 * Parameter schemas: one check for URI text and option values alike, strict numbers, aliases,
 * where a parameter may be given, lists, quantities, and help text from the same declaration.
 */
import t from 'tap';
import { InvalidInputError } from '../../src/core/errors.js';
import { checkParams, describeType, formatSchema, type ParamSchema } from '../../src/protocols/params.js';

const SCHEMA: ParamSchema = {
  baud: { type: 'integer', min: 1, max: 20_000_000, units: 'bit/s', aliases: ['baudRate'], default: 9600, doc: 'line speed' },
  pollMs: { type: 'number', above: 0, units: 'ms', doc: 'poll period' },
  hold: { type: 'boolean', doc: 'hold' },
  unit: { type: 'string', pattern: /^[A-Z]$/, upperCase: true, expected: 'one letter A-Z', doc: 'unit id' },
  mode: { type: 'string', choices: ['a', 'b'], doc: 'mode' },
  units: { type: 'list', items: { type: 'integer', min: 0, max: 99, doc: 'address' }, doc: 'addresses' },
  volume: { type: 'quantity', units: 'ul', doc: 'volume', check: (v) => (typeof v === 'number' ? v : Number.parseFloat(v) * 1000) },
  axes: { type: 'object', doc: 'axes' },
  secret: { type: 'string', only: 'options', doc: 'not in URIs' },
};

const msg = (f: () => unknown): string => {
  try {
    f();
    return 'no error';
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.message;
  }
};

t.test('URI text and option values are read the same way', async (t) => {
  const fromUri = checkParams(SCHEMA, { baud: '19200', pollMs: '2.5', hold: '', unit: 'b', mode: 'a', units: '1,2', volume: '1 ml' }, { source: 'uri', owner: 'x://' });
  const fromOptions = checkParams(SCHEMA, { baudRate: 19200, pollMs: 2.5, hold: true, unit: 'B', mode: 'a', units: [1, 2], volume: '1 ml' }, { source: 'options', owner: 'x' });
  t.same(fromUri, { baud: 19200, pollMs: 2.5, hold: true, unit: 'B', mode: 'a', units: [1, 2], volume: 1000 });
  t.same(fromOptions, fromUri, 'the alias baudRate is baud');
  for (const bad of ['0x10', '12abc', ' 1', '1e999', 'NaN', '']) t.match(msg(() => checkParams(SCHEMA, { baud: bad }, { source: 'uri', owner: 'x://' })), /^parameter 'baud': must be an integer in 1\.\.20000000 \(bit\/s\)/, JSON.stringify(bad));
  t.equal(msg(() => checkParams(SCHEMA, { pollMs: 0 }, { source: 'options', owner: 'x' })), "parameter 'pollMs': must be a number > 0 and <= 2147483647 (ms) (got 0)");
  t.equal(msg(() => checkParams(SCHEMA, { unit: 'AB' }, { source: 'uri', owner: 'x://' })), `parameter 'unit': must be one letter A-Z (got "AB")`);
  t.equal(msg(() => checkParams(SCHEMA, { units: '1,1' }, { source: 'uri', owner: 'x://' })), `parameter 'units': lists 1 twice (got "1,1")`);
  t.equal(msg(() => checkParams(SCHEMA, { units: '1,x' }, { source: 'uri', owner: 'x://' })), `parameter 'units': must list integers in 0..99 separated by commas (got "1,x")`);
  t.equal(msg(() => checkParams(SCHEMA, { hold: 'maybe' }, { source: 'options', owner: 'x' })), `parameter 'hold': must be true or false (got "maybe")`);
});

t.test('unknown names, names given twice and names in the wrong place', async (t) => {
  const text = msg(() => checkParams(SCHEMA, { colour: 'red' }, { source: 'uri', owner: 'x://' }));
  t.equal(text, `parameter 'colour': unknown for x:// (known: baud, pollMs, hold, unit, mode, units, volume, axes, secret) (got "red")`);
  t.equal(msg(() => checkParams(SCHEMA, { colour: 'red' }, { source: 'options', owner: 'x://' })), text, 'the same text from options');
  t.match(msg(() => checkParams(SCHEMA, { baud: '1', baudRate: '2' }, { source: 'uri', owner: 'x://' })), /given twice \(as baud and baudRate\)/);
  t.match(msg(() => checkParams(SCHEMA, { axes: '{}' }, { source: 'uri', owner: 'x://' })), /^parameter 'axes': cannot be given in an address; give it as an option/);
  t.match(msg(() => checkParams(SCHEMA, { secret: 's' }, { source: 'uri', owner: 'x://' })), /^parameter 'secret': cannot be given in an address/);
  t.same(checkParams(SCHEMA, { colour: 'red', baud: 50 }, { source: 'uri', owner: 'x://', allowUnknown: true }), { baud: 50 });
});

t.test('help text comes from the same declaration', async (t) => {
  t.equal(describeType(SCHEMA['baud']!), 'integer in 1..20000000 bit/s');
  t.equal(describeType(SCHEMA['mode']!), 'a|b');
  const lines = formatSchema(SCHEMA);
  t.equal(lines.length, Object.keys(SCHEMA).length);
  t.match(lines[0], /^ {2}baud +integer in 1\.\.20000000 bit\/s +line speed \(default 9600\)$/);
  t.match(lines.find((l) => l.includes('axes')), /\[options only\]/);
});
