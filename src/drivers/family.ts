/**
 * Family descriptors: everything labrig needs to know about one instrument family, written once
 * in `src/drivers/<family>/family.ts`, from which the URI registry, rigs, the `labrig` command
 * and the docs' list of drivers are derived (decision 0010).
 *
 * ```ts
 * export const bathFamily = defineFamily<BathOptions, Bath>({
 *   name: 'bath',
 *   title: 'CR-terminated ASCII temperature bath',
 *   schemes: [
 *     { scheme: 'bath+serial', transport: serialTransport({ defaultBaud: 9600 }), example: 'bath+serial:///dev/ttyUSB0' },
 *     { scheme: 'bath+tcp', transport: tcpTransport(), example: 'bath+tcp://10.0.0.7:4001' },
 *   ],
 *   params: {
 *     timeoutMs: { type: 'integer', min: 1, units: 'ms', default: 1000, doc: 'limit of each command' },
 *     maxTemp: { type: 'number', min: -40, max: 200, units: 'degC', doc: 'highest setpoint allowed' },
 *   },
 *   open: async (target, o, { name }) => openBath({ stream: streamOf(target) }, { ...o, name }),
 *   createMock: (o, { name }) => createBath({ ...o, name }),
 *   confirmStopped: (bath, signal) => pollUntil(async () => ((await bath.heating.getValue(false)) ? undefined : 'heater off'), signal),
 * });
 * ```
 *
 * The descriptor holds: its URI schemes, each with a transport (`tcpTransport`,
 * `serialTransport`, or the family's own for FFI, COM, Tango, Modbus, OPC UA addresses) that
 * gives defaults such as the TCP port or the baud rate; ONE parameter schema that checks URI query
 * parameters and options (rig entries, `openX(uri, options)`) alike; how to open a device at a
 * checked address and how to build one for the mock tier; what "stopped" means for the rig's
 * e-stop; and the name of its simulator descriptor (`src/sim/<family>/family.ts`), so drivers
 * never import simulators. A descriptor is registered explicitly with `registerFamily`
 * (`src/drivers/registry.ts`); importing it registers nothing.
 *
 * A `family.ts` must load fast: import heavy modules (node-opcua, an FFI library, a COM binding)
 * inside `open` / `createMock` with `await import(...)`, not at the top.
 * @module
 */
import { InvalidInputError, toError } from '../core/errors.js';
import type { Device } from '../core/device/device.js';
import { sleep } from '../core/device/timeout.js';
import type { StandardReadable } from '../core/device/standard-readable.js';
import type { Stoppable } from '../core/protocols.js';
import { resolveAddress, serialTransport, tcpTransport, type Transport } from '../protocols/address.js';
import type { ByteStream } from '../protocols/contracts.js';
import { checkParams, type ParamSchema } from '../protocols/params.js';
import { splitUri, type AddressBase } from '../protocols/uri.js';

/** A device a family opens: a readable device tree that may stop and must close (its transport with it). */
export type FamilyDevice = StandardReadable & Partial<Stoppable> & { close(): Promise<void> };

/** One URI scheme of a family and how its addresses are read. */
export interface FamilyScheme {
  /** The scheme in lower case: `galil+tcp`, `nidaqmx`, `tango`, `opc.tcp`. */
  readonly scheme: string;
  /** Its address parser (shared `tcpTransport` / `serialTransport`, or the family's own). */
  readonly transport: Transport<AddressBase, unknown>;
  /** An example address for help text and errors: `galil+tcp://10.0.0.5:23`. */
  readonly example: string;
}

/** A checked address a family opens. */
export interface FamilyTarget {
  /** The URI as given. */
  readonly uri: string;
  /** The transport's address (host/port, path/baud, or the family's own fields). */
  readonly address: AddressBase;
  /** The scheme it was written in, with its transport (`target.scheme.transport.create(address)`). */
  readonly scheme: FamilyScheme;
}

/** What a family's `open` is told besides the address and options. */
export interface OpenContext {
  /** Device name (prefix of every data key): the rig name, or the family's default. */
  readonly name: string;
  /**
   * The caller only reads (`labrig read`): change nothing on the device while connecting — no
   * servo enable, no settings applied. Families that apply nothing on connect may ignore it.
   */
  readonly readOnly?: boolean;
}

/** What a family's `createMock` is told. */
export interface MockContext {
  /** Device name (prefix of every data key). */
  readonly name: string;
}

/**
 * One instrument family (see the module notes). `O` is the family's options object (the checked
 * values of {@link FamilyDescriptor.params}), `D` its device type.
 */
export interface FamilyDescriptor<O extends object = Record<string, unknown>, D extends FamilyDevice = FamilyDevice> {
  /** Family name, lower case: `galil`. Also the default device name and simulator name. */
  readonly name: string;
  /** One line for help text and docs: `Galil DMC motion controllers and RIO I/O`. */
  readonly title: string;
  /** URI schemes (at least one). */
  readonly schemes: readonly FamilyScheme[];
  /**
   * Parameters of the family, the same in a URI's query (`?unit=A`) and in options (a rig entry,
   * `openX(uri, options)`); the transport's own (`baud`, `connectTimeoutMs`) are added to them.
   * Names must not repeat a transport parameter.
   */
  readonly params: ParamSchema;
  /**
   * Rules across parameters, run after each one was checked alone (e.g. a Galil axis speed times
   * its counts per unit within the controller's range). No I/O; throw an InvalidInputError whose
   * `what` is `parameter '<name>'` (nested: `parameter 'axes.x.speed'`).
   */
  check?(options: O): void;
  /**
   * Connect to the device at `target` with checked `options` and return it connected; on failure
   * reject and leave nothing open. The device's `close()` releases its transport.
   */
  open(target: FamilyTarget, options: O, context: OpenContext): Promise<D>;
  /**
   * Build the device without any transport, for `await device.connect({ mock: true })`, which
   * installs the family's default mock behaviour (STYLE rule 9). May resolve asynchronously when
   * the device class lives in a module loaded on demand.
   */
  createMock(options: O, context: MockContext): D | Promise<D>;
  /**
   * After `device.stop({ success: false })` (the e-stop): resolve with a short description of what
   * the device reported on the wire (`axes A, B stopped, motors off`) once it is stopped, polling
   * until then ({@link pollUntil}); reject with the abort reason when `signal` aborts.
   */
  confirmStopped(device: D, signal: AbortSignal): Promise<string>;
  /** Paths `labrig set` maps to the device's own `set()` besides `.` (`setpoint`, `dispense`). */
  readonly moveAliases?: readonly string[];
  /**
   * Resolve a path the device tree does not hold to a connected signal, for `labrig read|set`
   * (a Modbus register `hr/0:float32`, an OPC UA NodeId `ns=1;s=Temperature`); resolve undefined
   * when `path` is not one of the family's address paths.
   */
  resolvePath?(device: D, path: string): Promise<Device | undefined>;
  /** An example of the paths `resolvePath` takes (`hr/0:float32`), for help text and errors. */
  readonly pathExample?: string;
  /** Name of the simulator descriptor serving this family (`sim:<name>`); default the family name; `null` for none. */
  readonly simulator?: string | null;
}

/** A family descriptor of any options and device type (what registries hold). */
// Method parameters are bivariant, so every FamilyDescriptor<O, D> is assignable to this.
export type AnyFamily = FamilyDescriptor<object, FamilyDevice>;

const NAME_RE = /^[a-z][a-z0-9_]*$/;
const SCHEME_RE = /^[a-z][a-z0-9+.-]*$/;

/** Options of {@link streamSchemes}. */
export interface StreamSchemesOptions {
  /** Default baud rate of the serial scheme. */
  readonly baud: number;
  /** Default TCP port (none: the address must name one). */
  readonly tcpPort?: number;
  /** Query parameters the transports' own examples show (`?unit=A`). */
  readonly query?: string;
  /** Example address of the serial scheme for help text. */
  readonly serialExample: string;
  /** Example address of the TCP scheme for help text. */
  readonly tcpExample: string;
  /** Which scheme is listed first (help text and errors list them in this order); default serial. */
  readonly first?: 'serial' | 'tcp';
}

/**
 * The `<name>+serial` and `<name>+tcp` schemes of a family whose instrument speaks one byte
 * protocol over a serial line or a TCP bridge, with the shared address parsers of both.
 */
export function streamSchemes(name: string, o: StreamSchemesOptions): FamilyScheme[] {
  const q = o.query ?? '';
  const serial: FamilyScheme = { scheme: `${name}+serial`, transport: serialTransport({ defaultBaud: o.baud, example: `${name}+serial:///dev/ttyUSB0${q}` }), example: o.serialExample };
  const tcpOptions = o.tcpPort === undefined ? { example: `${name}+tcp://host:port${q}` } : { defaultPort: o.tcpPort, example: `${name}+tcp://host:${o.tcpPort}${q}` };
  const tcp: FamilyScheme = { scheme: `${name}+tcp`, transport: tcpTransport(tcpOptions), example: o.tcpExample };
  return o.first === 'tcp' ? [tcp, serial] : [serial, tcp];
}

/** Check a descriptor's shape (names, schemes, no parameter shadowing a transport's) and return it unchanged, typed. */
export function defineFamily<O extends object, D extends FamilyDevice>(descriptor: FamilyDescriptor<O, D>): FamilyDescriptor<O, D> {
  const d = descriptor;
  if (typeof d !== 'object' || d === null) throw new InvalidInputError({ what: 'family descriptor', value: d, reason: 'must be an object' });
  if (typeof d.name !== 'string' || !NAME_RE.test(d.name)) throw new InvalidInputError({ what: 'family name', value: d.name, reason: 'must be lower case letters, digits and _, starting with a letter' });
  if (!Array.isArray(d.schemes) || d.schemes.length === 0) throw new InvalidInputError({ what: `family ${d.name} schemes`, value: d.schemes, reason: 'must list at least one scheme' });
  for (const s of d.schemes) {
    if (typeof s.scheme !== 'string' || !SCHEME_RE.test(s.scheme)) throw new InvalidInputError({ what: `family ${d.name} scheme`, value: s.scheme, reason: 'must be lower case, start with a letter and use only letters, digits, + . -' });
    if (s.scheme === 'sim') throw new InvalidInputError({ what: `family ${d.name} scheme`, value: s.scheme, reason: 'sim: is reserved for simulators' });
    for (const p of Object.keys(d.params)) {
      if (Object.hasOwn(s.transport.params, p)) throw new InvalidInputError({ what: `family ${d.name} parameter '${p}'`, value: p, reason: `repeats a parameter of the ${s.transport.kind} transport of ${s.scheme}` });
    }
  }
  for (const k of ['open', 'createMock', 'confirmStopped'] as const) {
    if (typeof d[k] !== 'function') throw new InvalidInputError({ what: `family ${d.name} ${k}`, value: d[k], reason: 'must be a function' });
  }
  return descriptor;
}

/** Find the scheme of `family` a URI is written in, or throw an InvalidInputError listing the family's schemes. */
export function schemeOf(family: AnyFamily, scheme: string): FamilyScheme {
  const s = family.schemes.find((x) => x.scheme === scheme.toLowerCase());
  if (!s) throw new InvalidInputError({ what: 'address scheme', value: scheme, reason: `not a ${family.name} scheme (use ${family.schemes.map((x) => `${x.scheme}://`).join(' or ')})` });
  return s;
}

/**
 * Check a URI and options for `family` without any I/O: the scheme, the address, every query
 * parameter and option against the one schema (options win over the query), then the family's
 * cross-parameter rules. Throws an InvalidInputError naming the part or parameter.
 */
export function resolveTarget<O extends object>(
  family: FamilyDescriptor<O, FamilyDevice>,
  uri: string,
  options: Readonly<Record<string, unknown>> = {},
): { target: FamilyTarget; options: O } {
  const p = splitUri(uri);
  const scheme = schemeOf(family as AnyFamily, p.scheme);
  const { address, values } = resolveAddress({ ...p, family: family.name }, scheme.transport, family, options);
  const o = values as O;
  family.check?.(o);
  return { target: { uri, address, scheme }, options: o };
}

/** Check options for `family` when there is no URI (a stream or channel was given): the family's parameters only. */
export function checkFamilyOptions<O extends object>(family: FamilyDescriptor<O, FamilyDevice>, options: Readonly<Record<string, unknown>> = {}): O {
  const o = checkParams(family.params, options, { source: 'options', owner: family.name }) as O;
  family.check?.(o);
  return o;
}

/** Check a URI and options, then open the device (see {@link resolveTarget} and `FamilyDescriptor.open`). */
export async function openFamily<O extends object, D extends FamilyDevice>(
  family: FamilyDescriptor<O, D>,
  uri: string,
  options: Readonly<Record<string, unknown>> = {},
  context: Partial<OpenContext> = {},
): Promise<D> {
  const r = resolveTarget(family, uri, options);
  return family.open(r.target, r.options, { ...context, name: context.name ?? family.name });
}

/** Check options, build the family's mock device and connect it in mock mode (its default mock behaviour installed). */
export async function mockFamily<O extends object, D extends FamilyDevice>(
  family: FamilyDescriptor<O, D>,
  options: Readonly<Record<string, unknown>> = {},
  context: Partial<MockContext> = {},
): Promise<D> {
  const d = await family.createMock(checkFamilyOptions(family, options), { name: context.name ?? family.name });
  await d.connect({ mock: true });
  return d;
}

/**
 * Connect `device` (within `timeoutMs`, when given; otherwise with the device's own limits) and
 * return it; on failure close it (its transport with it) and reject with the connect error.
 */
export async function connectOrClose<T extends { connect(options: { timeoutMs?: number }): Promise<void>; close(): Promise<void> }>(device: T, timeoutMs?: number): Promise<T> {
  try {
    await device.connect(timeoutMs === undefined ? {} : { timeoutMs });
  } catch (e) {
    await device.close().catch(() => undefined);
    throw e;
  }
  return device;
}

/** Create the (unopened) byte stream of a target whose transport makes one (`tcpTransport`, `serialTransport`). */
export function streamOf(target: FamilyTarget): ByteStream {
  const t = target.scheme.transport;
  if (!t.stream || !t.create) throw new InvalidInputError({ what: 'address scheme', value: target.scheme.scheme, reason: 'does not name a byte stream' });
  return t.create(target.address) as ByteStream;
}

/**
 * Call `check` until it returns a description (not undefined), pausing `everyMs` between tries;
 * reject with the abort reason when `signal` aborts. For `confirmStopped`.
 */
export async function pollUntil(check: () => Promise<string | undefined>, signal: AbortSignal, everyMs = 5): Promise<string> {
  for (;;) {
    if (signal.aborted) throw toError(signal.reason);
    const done = await check();
    if (done !== undefined) return done;
    await sleep(everyMs, signal);
  }
}
