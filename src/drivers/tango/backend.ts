/**
 * The small interface every Tango backend implements (the PyTango sidecar in `sidecar.ts`, a
 * native cppTango addon in `native/tango`), its value and description types, and the address
 * parser. The bridge (`device.ts`) is written against {@link TangoBackend} only, so any backend
 * that passes `test/drivers/tango/backend-conformance.ts` can serve it.
 *
 * Values: scalars are JS numbers, strings or booleans (DevLong64/DevULong64 scalars are numbers,
 * exact up to 2^53; DevState is its name, e.g. `ON`; DevEnum is its index). Spectrum and image
 * values are {@link TangoArray}s: a typed array matching the Tango type (string and boolean
 * arrays are plain arrays) plus the shape (`[n]` or `[rows, columns]`, row-major like numpy).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** Tango attribute data formats. */
export type TangoFormat = 'SCALAR' | 'SPECTRUM' | 'IMAGE';

/** Tango attribute data types (the `Tango::CmdArgType` names an attribute may have). */
export type TangoDataType =
  | 'DevBoolean'
  | 'DevUChar'
  | 'DevShort'
  | 'DevUShort'
  | 'DevLong'
  | 'DevULong'
  | 'DevLong64'
  | 'DevULong64'
  | 'DevFloat'
  | 'DevDouble'
  | 'DevString'
  | 'DevState'
  | 'DevEnum'
  | 'DevEncoded';

/** Tango command argument types (`Tango::CmdArgType` names a command may take or return). */
export type TangoArgType =
  | 'DevVoid'
  | Exclude<TangoDataType, 'DevUChar'>
  | 'ConstDevString'
  | `DevVar${'Char' | 'Short' | 'UShort' | 'Long' | 'ULong' | 'Long64' | 'ULong64' | 'Float' | 'Double' | 'String' | 'Boolean' | 'LongString' | 'DoubleString'}Array`;

/** How an attribute may be accessed (`Tango::AttrWriteType`). */
export type TangoWritable = 'READ' | 'WRITE' | 'READ_WRITE' | 'READ_WITH_WRITE';

/** A numeric typed array as a backend returns it for a numeric Tango array. */
export type TangoTypedArray =
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A spectrum or image value: its elements (row-major for images) and its shape. */
export interface TangoArray {
  /** Elements, row-major; a typed array for numeric types, a plain array for strings/booleans. */
  data: TangoTypedArray | string[] | boolean[];
  /** `[length]` for a spectrum, `[rows, columns]` (dim_y, dim_x) for an image. */
  shape: number[];
}

/** A scalar Tango value (see the module notes for the type mapping). */
export type TangoScalar = number | string | boolean;

/** A DevVarLongStringArray / DevVarDoubleStringArray command argument or result. */
export interface TangoNumStringArray {
  /** The numeric part (`lvalue`/`dvalue`). */
  numbers: number[];
  /** The string part (`svalue`). */
  strings: string[];
}

/** Any value a backend reads or writes. */
export type TangoValue = TangoScalar | TangoArray;

/** Any command argument or result (`undefined` for DevVoid). */
export type TangoCommandValue = TangoValue | TangoNumStringArray | TangoTypedArray | number[] | string[] | boolean[] | undefined;

/** Attribute quality as Tango reports it with each reading. */
export type TangoQuality = 'ATTR_VALID' | 'ATTR_INVALID' | 'ATTR_ALARM' | 'ATTR_CHANGING' | 'ATTR_WARNING';

/** One attribute's value as read (or as delivered by an event). */
export interface TangoReading {
  /** Attribute name as the server spells it. */
  name: string;
  /** The value (read part); `undefined` when quality is ATTR_INVALID. */
  value: TangoValue | undefined;
  /** Server timestamp, seconds since the Unix epoch. */
  timestamp: number;
  quality: TangoQuality;
  /** The write part (set point) of a writable attribute, when the server returns one. */
  writeValue?: TangoValue;
}

/** One attribute's description (from `attribute_list_query` / the attribute configuration). */
export interface TangoAttributeInfo {
  name: string;
  dataType: TangoDataType;
  format: TangoFormat;
  writable: TangoWritable;
  /** Unit text from the configuration (empty when none). */
  unit: string;
  label: string;
  description: string;
  /** Display format, e.g. `%6.2f`. */
  displayFormat: string;
  /** Write limits (`min_value`/`max_value`); undefined when Tango says "Not specified". */
  minValue?: number;
  maxValue?: number;
  /** Alarm limits (`min_alarm`/`max_alarm`). */
  minAlarm?: number;
  maxAlarm?: number;
  /** Warning limits (`min_warning`/`max_warning`). */
  minWarning?: number;
  maxWarning?: number;
  /** Largest x dimension (spectrum length, image columns); 1 for scalars. */
  maxDimX: number;
  /** Largest y dimension (image rows); 0 unless IMAGE. */
  maxDimY: number;
  /** Labels of a DevEnum attribute. */
  enumLabels?: string[];
}

/** One command's description (`command_list_query`). */
export interface TangoCommandInfo {
  name: string;
  inType: TangoArgType;
  outType: TangoArgType;
  inDescription: string;
  outDescription: string;
}

/** What connect learns about the device. */
export interface TangoDeviceInfo {
  /** Device name, e.g. `sys/tg_test/1`. */
  name: string;
  /** Tango class of the device, e.g. `TangoTest`. */
  className: string;
  attributes: TangoAttributeInfo[];
  commands: TangoCommandInfo[];
}

/** An event delivered to a subscriber: a reading, or the error Tango sent instead. */
export type TangoEvent = { reading: TangoReading; error?: undefined } | { reading?: undefined; error: Error };

/** Options every backend call accepts. */
export interface TangoCallOptions {
  /** Limit of this call, ms; the backend's default when absent. */
  timeoutMs?: number;
}

/**
 * One connection to one Tango device. Behaviour every implementation keeps:
 *
 * - Every call resolves or rejects within its timeout (`TimeoutError`); a DevFailed rejects with
 *   a `TangoError` carrying every level; a dead backend process or lost link rejects with a
 *   `DisconnectedError` (and every pending call is rejected, nothing waits forever).
 * - `subscribe` resolves once the server accepted the change-event subscription and rejects
 *   with a `TangoError` (e.g. reason `API_AttributePollingNotStarted` / `API_EventPropertiesNotSet`)
 *   when the server cannot push events for that attribute. Events for one attribute reach `cb`
 *   in the order the server sent them; the first one is the current value (Tango's rule).
 *   Errors Tango delivers through the event channel (server gone, heartbeat lost) reach `cb` as
 *   `{ error }` (e.g. `API_EventTimeout` some 10 s after the server died). A backend does not
 *   promise that events resume after a server restart (cppTango 9.3 without a database does not
 *   resubscribe by itself): the caller unsubscribes and subscribes again, as the bridge's
 *   subscription manager does.
 * - `close` rejects pending calls with `DisconnectedError`, drops subscriptions and never throws.
 */
export interface TangoBackend {
  /** Which backend this is (`sidecar`, `addon`, ...). */
  readonly kind: string;
  /** Open the device at `address` and describe it. */
  connect(address: TangoAddress, options?: TangoCallOptions): Promise<TangoDeviceInfo>;
  /** Read attributes in one call, in the order asked. */
  readAttributes(names: readonly string[], options?: TangoCallOptions): Promise<TangoReading[]>;
  /** Write one attribute (scalars as JS values, arrays as {@link TangoArray} or plain arrays). */
  writeAttribute(name: string, value: TangoValue | number[] | string[] | boolean[], options?: TangoCallOptions): Promise<void>;
  /** Run a command (`arg` undefined for DevVoid) and return its result (undefined for DevVoid). */
  command(name: string, arg?: TangoCommandValue, options?: TangoCallOptions): Promise<TangoCommandValue>;
  /** Subscribe to change events of `attribute`; resolves to the unsubscribe function. */
  subscribe(attribute: string, cb: (event: TangoEvent) => void, options?: TangoCallOptions): Promise<() => Promise<void>>;
  /** Read the device state (e.g. `ON`, `FAULT`). */
  state(options?: TangoCallOptions): Promise<string>;
  /** Read the device status text. */
  status(options?: TangoCallOptions): Promise<string>;
  /** Release the device; pending calls reject, subscriptions end. Never throws. */
  close(): Promise<void>;
}

/** Builds a backend (one per device connection). */
export type TangoBackendFactory = () => TangoBackend;

/** A parsed Tango address. */
export interface TangoAddress {
  /** Database host (or the device server's host with `dbase=no`); undefined: take TANGO_HOST. */
  host: string | undefined;
  /** Database port (or the device server's port with `dbase=no`). */
  port: number | undefined;
  /** Device name `domain/family/member`, lower case as Tango compares names. */
  device: string;
  /** false with `#dbase=no`: talk to the device server directly, no database. */
  database: boolean;
  /** The address in the form PyTango and cppTango accept. */
  tangoName: string;
}

const NAME_PART = /^[A-Za-z0-9_.\-+]+$/;

/**
 * Parse `tango://host:port/domain/family/member` (through the Tango database at host:port),
 * `tango://domain/family/member` (through TANGO_HOST, from `env`), and either with `#dbase=no`
 * (host:port is the device server itself). A query string (`?backend=...`) is ignored here (the
 * family reads it). Bad input → InvalidInputError naming what was wrong.
 */
export function parseTangoAddress(text: string, env: Readonly<Record<string, string | undefined>> = {}): TangoAddress {
  const what = 'tango address';
  const m = /^tango:\/\/([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(text.trim());
  if (!m) throw new InvalidInputError({ what, value: text, reason: 'expected tango://host:port/domain/family/member[#dbase=no]' });
  const body = m[1] ?? '';
  const fragment = (m[3] ?? '').slice(1);
  let database = true;
  if (fragment !== '') {
    const f = /^dbase=(no|yes)$/i.exec(fragment);
    if (!f) throw new InvalidInputError({ what, value: text, reason: `unknown fragment '#${fragment}' (only #dbase=no or #dbase=yes)` });
    database = f[1]!.toLowerCase() === 'yes';
  }
  const parts = body.split('/');
  let host: string | undefined;
  let port: number | undefined;
  if (parts.length === 4) {
    const hp = parts.shift()!;
    const h = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):(\d{1,5})$/.exec(hp);
    if (!h) throw new InvalidInputError({ what, value: text, reason: `'${hp}' is not host:port` });
    host = h[1]!.replace(/^\[|\]$/g, '');
    port = Number(h[2]);
    if (port < 1 || port > 65535) throw new InvalidInputError({ what, value: text, reason: `port ${port} outside 1..65535` });
  } else if (parts.length === 3 && !parts[0]!.includes(':')) {
    const th = env.TANGO_HOST;
    if (!database) throw new InvalidInputError({ what, value: text, reason: '#dbase=no needs the device server host:port in the address' });
    if (th) {
      const first = th.split(',')[0]!.trim();
      const h = /^(.+):(\d{1,5})$/.exec(first);
      if (!h) throw new InvalidInputError({ what: 'TANGO_HOST', value: th, reason: 'expected host:port' });
      host = h[1]!;
      port = Number(h[2]);
    }
  } else {
    throw new InvalidInputError({ what, value: text, reason: 'expected domain/family/member after tango:// (optionally host:port/ first)' });
  }
  for (const p of parts) {
    if (!NAME_PART.test(p)) throw new InvalidInputError({ what, value: text, reason: `bad device name part '${p}'` });
  }
  const device = parts.join('/').toLowerCase();
  const hostText = host === undefined ? '' : host.includes(':') ? `[${host}]` : host;
  const tangoName =
    host === undefined ? device : `tango://${hostText}:${port}/${device}${database ? '' : '#dbase=no'}`;
  return { host, port, device, database, tangoName };
}
