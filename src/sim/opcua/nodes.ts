/**
 * Node descriptions of the OPC UA simulator: the JSON format (checked, with errors naming the
 * entry and field) and the default node set.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** Built-in data types the simulator can serve. */
export const SIM_DATA_TYPES = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Float', 'Double', 'String'] as const;
/** One of {@link SIM_DATA_TYPES}. */
export type SimDataType = (typeof SIM_DATA_TYPES)[number];

/** How a node's value changes by itself. */
export const SIM_MODES = ['sine', 'ramp', 'noise', 'randomwalk', 'toggle', 'counter'] as const;
/** One of {@link SIM_MODES}. */
export type SimMode = (typeof SIM_MODES)[number];

/** A scalar the simulator can hold. */
export type SimScalar = number | boolean | string;

/** One node of the simulator, as written in a `--nodes` JSON file (an array of these). */
export interface SimNodeSpec {
  /** Browse name, e.g. `Temperature`; also the default NodeId `ns=1;s=<browseName>`. */
  browseName: string;
  /** NodeId in the simulator's namespace (ns=1), e.g. `ns=1;s=Temperature`. */
  nodeId?: string;
  /** Built-in data type. */
  dataType: SimDataType;
  /** Initial value; an array makes an array node. Default 0, false or ''. */
  value?: SimScalar | SimScalar[];
  /** Clients may write it. Default false. */
  writable?: boolean;
  /** Engineering units (EngineeringUnits property), e.g. `°C`. */
  units?: string;
  /** EURange [low, high]; writes outside it are refused with BadOutOfRange. */
  range?: [number, number];
  /** Change the value by itself. */
  simulate?: SimMode;
  /** Period of `sine`, `ramp` and `toggle`, and step time of `counter`, in seconds. Default 10. */
  period?: number;
  /** Amplitude of `sine` and `noise`, step of `randomwalk`. Default from the range or the value. */
  amplitude?: number;
  /** NodeId of a node this one follows with a first-order lag (a readback of a setpoint). */
  follows?: string;
  /** Time constant of `follows`, in seconds. Default 2. */
  tau?: number;
  /** Description attribute. */
  description?: string;
}

/** A spec with defaults filled in. */
export interface ResolvedSimNode extends SimNodeSpec {
  nodeId: string;
  value: SimScalar | SimScalar[];
  writable: boolean;
}

const INTEGER: Partial<Record<SimDataType, [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

/** Tell whether a data type holds numbers. */
export function isNumeric(dt: SimDataType): boolean {
  return dt !== 'Boolean' && dt !== 'String';
}

/** Return the integer range of a data type, or undefined for Float/Double/Boolean/String. */
export function integerRange(dt: SimDataType): [number, number] | undefined {
  return INTEGER[dt];
}

function checkScalar(what: string, dt: SimDataType, v: unknown): SimScalar {
  if (dt === 'Boolean') {
    if (typeof v !== 'boolean') throw new InvalidInputError({ what, value: v, reason: 'expected a boolean for Boolean' });
    return v;
  }
  if (dt === 'String') {
    if (typeof v !== 'string') throw new InvalidInputError({ what, value: v, reason: 'expected a string for String' });
    return v;
  }
  if (typeof v !== 'number' || Number.isNaN(v)) throw new InvalidInputError({ what, value: v, reason: `expected a number for ${dt}` });
  const r = INTEGER[dt];
  if (r && (!Number.isInteger(v) || v < r[0] || v > r[1])) throw new InvalidInputError({ what, value: v, reason: `${dt} holds integers ${r[0]}..${r[1]}` });
  return v;
}

function defaultOf(dt: SimDataType): SimScalar {
  return dt === 'Boolean' ? false : dt === 'String' ? '' : 0;
}

const RESERVED = ['ns=1;s=Sim', 'ns=1;s=Sim.Reset', 'ns=1;s=Sim.Wait'];

const FIELDS = new Set(['browseName', 'nodeId', 'dataType', 'value', 'writable', 'units', 'range', 'simulate', 'period', 'amplitude', 'follows', 'tau', 'description']);

function positive(what: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) throw new InvalidInputError({ what, value: v, reason: 'expected a positive number' });
}

/**
 * Check a node list (parsed JSON) and fill in defaults. Throws InvalidInputError naming the
 * entry and field (`nodes[2].dataType`) for anything wrong: unknown fields or types, values
 * that do not fit the type, duplicate NodeIds, a `follows` target that does not exist.
 */
export function parseSimNodes(input: unknown): ResolvedSimNode[] {
  if (!Array.isArray(input)) throw new InvalidInputError({ what: 'nodes', value: input, reason: 'expected a JSON array of node descriptions' });
  const out: ResolvedSimNode[] = [];
  const ids = new Set<string>();
  input.forEach((raw: unknown, i) => {
    const at = `nodes[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidInputError({ what: at, value: raw, reason: 'expected an object' });
    const n = raw as Record<string, unknown>;
    for (const k of Object.keys(n)) if (!FIELDS.has(k)) throw new InvalidInputError({ what: `${at}.${k}`, value: n[k], reason: `unknown field; known: ${[...FIELDS].join(', ')}` });
    if (typeof n.browseName !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(n.browseName)) {
      throw new InvalidInputError({ what: `${at}.browseName`, value: n.browseName, reason: 'expected a name of letters, digits, _ . -' });
    }
    if (!SIM_DATA_TYPES.includes(n.dataType as SimDataType)) throw new InvalidInputError({ what: `${at}.dataType`, value: n.dataType, reason: `expected one of ${SIM_DATA_TYPES.join(', ')}` });
    const dt = n.dataType as SimDataType;
    const nodeId = n.nodeId === undefined ? `ns=1;s=${n.browseName}` : n.nodeId;
    if (typeof nodeId !== 'string' || !/^ns=1;(s=.+|i=\d+)$/.test(nodeId)) {
      throw new InvalidInputError({ what: `${at}.nodeId`, value: nodeId, reason: 'expected a NodeId in namespace 1, e.g. ns=1;s=Temperature or ns=1;i=1001' });
    }
    if (ids.has(nodeId) || RESERVED.includes(nodeId)) throw new InvalidInputError({ what: `${at}.nodeId`, value: nodeId, reason: `is used twice (${RESERVED.join(', ')} are reserved)` });
    ids.add(nodeId);
    let value: SimScalar | SimScalar[];
    if (n.value === undefined) value = defaultOf(dt);
    else if (Array.isArray(n.value)) value = n.value.map((v, j) => checkScalar(`${at}.value[${j}]`, dt, v));
    else value = checkScalar(`${at}.value`, dt, n.value);
    if (n.writable !== undefined && typeof n.writable !== 'boolean') throw new InvalidInputError({ what: `${at}.writable`, value: n.writable, reason: 'expected true or false' });
    if (n.units !== undefined && typeof n.units !== 'string') throw new InvalidInputError({ what: `${at}.units`, value: n.units, reason: 'expected a string' });
    if (n.description !== undefined && typeof n.description !== 'string') throw new InvalidInputError({ what: `${at}.description`, value: n.description, reason: 'expected a string' });
    if (n.range !== undefined) {
      const r = n.range;
      if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number' || !(r[0] < r[1])) {
        throw new InvalidInputError({ what: `${at}.range`, value: r, reason: 'expected [low, high] with low < high' });
      }
      if (!isNumeric(dt)) throw new InvalidInputError({ what: `${at}.range`, value: r, reason: `a ${dt} node has no range` });
    }
    if (n.units !== undefined && !isNumeric(dt)) throw new InvalidInputError({ what: `${at}.units`, value: n.units, reason: `a ${dt} node has no units` });
    if (n.simulate !== undefined) {
      if (!SIM_MODES.includes(n.simulate as SimMode)) throw new InvalidInputError({ what: `${at}.simulate`, value: n.simulate, reason: `expected one of ${SIM_MODES.join(', ')}` });
      const mode = n.simulate as SimMode;
      if (mode === 'toggle' ? dt !== 'Boolean' : !isNumeric(dt)) throw new InvalidInputError({ what: `${at}.simulate`, value: mode, reason: `does not apply to a ${dt} node` });
      if ((mode === 'counter' || mode === 'ramp') && Array.isArray(value)) throw new InvalidInputError({ what: `${at}.simulate`, value: mode, reason: 'applies to scalar nodes only' });
    }
    positive(`${at}.period`, n.period);
    positive(`${at}.tau`, n.tau);
    if (n.amplitude !== undefined && (typeof n.amplitude !== 'number' || !Number.isFinite(n.amplitude))) throw new InvalidInputError({ what: `${at}.amplitude`, value: n.amplitude, reason: 'expected a number' });
    if (n.follows !== undefined) {
      if (typeof n.follows !== 'string') throw new InvalidInputError({ what: `${at}.follows`, value: n.follows, reason: 'expected a NodeId' });
      if (!isNumeric(dt) || Array.isArray(value)) throw new InvalidInputError({ what: `${at}.follows`, value: n.follows, reason: 'only a numeric scalar node can follow another' });
      if (n.simulate !== undefined) throw new InvalidInputError({ what: `${at}.follows`, value: n.follows, reason: 'give either simulate or follows, not both' });
    }
    out.push({ ...(n as unknown as SimNodeSpec), nodeId, value, writable: n.writable === true });
  });
  for (const [i, n] of out.entries()) {
    if (n.follows === undefined) continue;
    const target = out.find((m) => m.nodeId === n.follows);
    if (!target || !isNumeric(target.dataType) || Array.isArray(target.value) || target === n) {
      throw new InvalidInputError({ what: `nodes[${i}].follows`, value: n.follows, reason: 'must name another numeric scalar node of the list' });
    }
  }
  return out;
}

/**
 * The default node set: sensors that change by themselves, writable setpoints with readbacks
 * that follow them, a counter, booleans, strings and arrays.
 */
export const DEFAULT_SIM_NODES: readonly SimNodeSpec[] = [
  { browseName: 'Temperature', dataType: 'Double', value: 21.5, units: '°C', range: [-20, 120], simulate: 'sine', amplitude: 0.5, period: 30, description: 'Room temperature' },
  { browseName: 'Pressure', dataType: 'Double', value: 101.3, units: 'kPa', range: [0, 200], simulate: 'noise', amplitude: 0.05, description: 'Chamber pressure' },
  { browseName: 'Ramp', dataType: 'Double', value: 0, units: '%', range: [0, 100], simulate: 'ramp', period: 20 },
  { browseName: 'HeaterSetpoint', dataType: 'Double', value: 25, units: '°C', range: [0, 150], writable: true, description: 'Heater setpoint' },
  { browseName: 'HeaterTemperature', dataType: 'Double', value: 25, units: '°C', range: [-20, 200], follows: 'ns=1;s=HeaterSetpoint', tau: 5, description: 'Heater readback' },
  { browseName: 'FlowSetpoint', dataType: 'Float', value: 0, units: 'mL/min', range: [0, 100], writable: true },
  { browseName: 'Flow', dataType: 'Float', value: 0, units: 'mL/min', range: [0, 100], follows: 'ns=1;s=FlowSetpoint', tau: 1 },
  { browseName: 'Counter', dataType: 'UInt32', value: 0, simulate: 'counter', period: 1 },
  { browseName: 'Position', dataType: 'Int32', value: 0, writable: true, units: 'steps' },
  { browseName: 'Register', dataType: 'UInt16', value: 1234, writable: true },
  { browseName: 'Enabled', dataType: 'Boolean', value: false, writable: true },
  { browseName: 'Busy', dataType: 'Boolean', value: false, simulate: 'toggle', period: 4 },
  { browseName: 'Mode', dataType: 'String', value: 'Idle', writable: true },
  { browseName: 'SerialNumber', dataType: 'String', value: 'LR-0001' },
  { browseName: 'Spectrum', dataType: 'Double', value: Array.from({ length: 16 }, () => 0), simulate: 'sine', amplitude: 1, period: 5, units: 'a.u.' },
  { browseName: 'Gains', dataType: 'Int32', value: [1, 2, 4, 8], writable: true },
];
