/**
 * The check a Tango command's argument passes before it is sent: the JS value must fit the
 * command's declared `in_type` (numbers of an integer type are integers inside its range, strings
 * are strings, a `DevVar...Array` holds only elements of its type, a DevVarLongStringArray is
 * `{numbers, strings}`). Both backends would refuse most of these themselves, but each in its own
 * words (PyTango's conversion errors, the addon's); this check gives one InvalidInputError for
 * both, naming the element that is wrong, before anything reaches the server.
 * @module
 */
import type { TangoArgType, TangoDataType } from './backend.js';
import { INTEGER_RANGE, VAR_ELEMENT } from './protocol.js';
import { TANGO_STATES } from './signals.js';

const FLOATS: ReadonlySet<TangoDataType> = new Set(['DevFloat', 'DevDouble']);

/** Why `v` cannot be a `type` value (an element of an array when `at` is set); undefined if it can. */
function scalarProblem(type: TangoDataType, v: unknown, at = ''): string | undefined {
  const where = at === '' ? '' : ` (element ${at})`;
  if (FLOATS.has(type)) return typeof v === 'number' ? undefined : `${type} needs a number${where}`;
  const range = INTEGER_RANGE[type];
  if (range) {
    if (typeof v === 'bigint' && (type === 'DevLong64' || type === 'DevULong64')) {
      const ok = type === 'DevLong64' ? v >= -(2n ** 63n) && v < 2n ** 63n : v >= 0n && v < 2n ** 64n;
      return ok ? undefined : `${type}: ${v} is out of range${where}`;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) return `${type} needs an integer${where}`;
    return v >= range[0] && v <= range[1] ? undefined : `${type}: ${v} is outside ${range[0]}..${range[1]}${where}`;
  }
  if (type === 'DevBoolean') return typeof v === 'boolean' ? undefined : `DevBoolean needs a boolean${where}`;
  if (type === 'DevString') return typeof v === 'string' ? undefined : `DevString needs a string${where}`;
  if (type === 'DevState') return typeof v === 'string' && TANGO_STATES.includes(v) ? undefined : `DevState needs one of ${TANGO_STATES.join(', ')}${where}`;
  return undefined; // DevEncoded and anything newer: the backend decides
}

function elementsProblem(type: TangoDataType, v: unknown, label: string): string | undefined {
  const data = v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && 'data' in v ? (v as { data: unknown }).data : v;
  if (!Array.isArray(data) && !(ArrayBuffer.isView(data) && !(data instanceof DataView))) return `${label} needs an array`;
  const items = data as ArrayLike<unknown>;
  for (let i = 0; i < items.length; i++) {
    const p = scalarProblem(type, items[i], String(i));
    if (p) return p;
  }
  return undefined;
}

/**
 * Why `arg` cannot be the argument of a command whose `in_type` is `inType`, or undefined when it
 * can. `undefined` is the only argument of DevVoid and never the argument of anything else.
 */
export function commandArgProblem(inType: TangoArgType, arg: unknown): string | undefined {
  if (inType === 'DevVoid') return arg === undefined ? undefined : 'the command takes no argument (DevVoid)';
  if (arg === undefined) return `the command needs a ${inType} argument`;
  if (inType === 'ConstDevString') return scalarProblem('DevString', arg);
  if (inType === 'DevVarLongStringArray' || inType === 'DevVarDoubleStringArray') {
    const o = arg as { numbers?: unknown; strings?: unknown };
    if (arg === null || typeof arg !== 'object' || Array.isArray(arg) || o.numbers === undefined || o.strings === undefined) return `${inType} needs {numbers, strings}`;
    return elementsProblem(inType === 'DevVarLongStringArray' ? 'DevLong' : 'DevDouble', o.numbers, `${inType} numbers`) ?? elementsProblem('DevString', o.strings, `${inType} strings`);
  }
  const element = VAR_ELEMENT[inType];
  if (element) return elementsProblem(element, arg, inType);
  return scalarProblem(inType as TangoDataType, arg);
}
