/**
 * Tango devices as labrig devices. {@link TangoDevice} is built from the server's own
 * description: every attribute a signal (SignalRW where writable, else SignalR) named after the
 * attribute, every command a typed async callable in `commands`, `state` and `status` signals.
 * {@link connectTangoDevice} with a declaration ({@link tangoR}, {@link tangoRW}, {@link tangoCmd})
 * builds a typed device holding only the attributes and commands it names, and fails at connect
 * with ONE NotConnectedError listing every one the server lacks (or that is read-only where the
 * declaration wants to write).
 * @module
 */
import type { ConnectOptions } from '../../core/device/device.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import { setMockValue } from '../../core/signal/mock.js';
import { InvalidInputError, NotConnectedError } from '../../core/errors.js';
import { SignalR } from '../../core/signal/signal.js';
import { SignalRW } from '../../core/signal/writable.js';
import type { TangoAddress, TangoAttributeInfo, TangoBackend, TangoCommandInfo, TangoCommandValue, TangoDeviceInfo } from './backend.js';
import { commandArgProblem } from './command-args.js';
import { TangoAttributeBackend } from './signals.js';
import { TangoSubscriptionManager, type SubscriptionManagerOptions } from './subscriptions.js';

/** A Tango command as a callable: typed argument in, typed result out. */
export type TangoCommand<A = TangoCommandValue, R = TangoCommandValue> = ((arg?: A) => Promise<R>) & { readonly info: TangoCommandInfo };

/** Options of a Tango device. */
export interface TangoDeviceOptions extends SubscriptionManagerOptions {
  /** Limit of each attribute read/write and command, ms (default the backend's). */
  timeoutMs?: number;
  /** Attributes whose signals `read()` reads (the device's readables); default: none (State only). */
  read?: readonly string[];
}

const RESERVED = new Set(['name', 'parent', 'signals', 'commands', 'state', 'status', 'info', 'close', 'read', 'describe', 'connect', 'backend', 'subscriptions']);

/** The property name of attribute `name` on a device (reserved names get a trailing `_`). */
export function signalName(name: string): string {
  const n = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  return RESERVED.has(n) ? `${n}_` : n;
}

function writableAttr(i: TangoAttributeInfo): boolean {
  return i.writable !== 'READ';
}

/** The Tango device (see the module notes). */
export class TangoDevice extends StandardReadable {
  /** Every attribute's signal, by (property) name. */
  readonly signals: Readonly<Record<string, SignalR<unknown>>>;
  /** Every command, by name as the server spells it. */
  readonly commands: Readonly<Record<string, TangoCommand>>;
  /** The device state (`ON`, `RUNNING`, `FAULT`, ...). */
  readonly state: SignalR<string>;
  /** The device status text. */
  readonly status: SignalR<string>;
  /** What the server said at connect. */
  readonly info: TangoDeviceInfo;
  /** The backend this device talks through (closed by `close()`). */
  readonly backend: TangoBackend;
  /** The subscription manager (one backend subscription per attribute). */
  readonly subscriptions: TangoSubscriptionManager;
  readonly #closeBackend: boolean;

  /**
   * Build the device on a connected `backend` from `info` (what `backend.connect` returned),
   * keeping only `attributes`/`commands` when given. `source` is the device's address for data
   * keys. `close()` closes the backend when `ownsBackend`.
   */
  constructor(
    name: string,
    backend: TangoBackend,
    info: TangoDeviceInfo,
    options: TangoDeviceOptions & { source: string; ownsBackend?: boolean; attributes?: ReadonlyMap<string, string>; commandNames?: ReadonlyMap<string, string> } ,
  ) {
    super(name);
    this.backend = backend;
    this.info = info;
    this.#closeBackend = options.ownsBackend ?? true;
    this.subscriptions = new TangoSubscriptionManager(backend, options);
    const byName = new Map(info.attributes.map((a) => [a.name.toLowerCase(), a]));
    const make = (i: TangoAttributeInfo, prop: string): SignalR<unknown> => {
      const b = new TangoAttributeBackend<unknown>(backend, this.subscriptions, i, options.source, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      return writableAttr(i) ? new SignalRW(b, { name: prop }) : new SignalR(b, { name: prop });
    };
    const signals: Record<string, SignalR<unknown>> = {};
    const wanted = options.attributes ?? new Map(info.attributes.filter((a) => !['state', 'status'].includes(a.name.toLowerCase())).map((a) => [signalName(a.name), a.name]));
    for (const [prop, attr] of wanted) signals[prop] = make(byName.get(attr.toLowerCase())!, prop);
    this.signals = signals;
    const fixed = (attr: 'State' | 'Status'): SignalR<string> => {
      const i = byName.get(attr.toLowerCase()) ?? {
        name: attr,
        dataType: attr === 'State' ? 'DevState' : 'DevString',
        format: 'SCALAR',
        writable: 'READ',
        unit: '',
        label: attr,
        description: '',
        displayFormat: '',
        maxDimX: 1,
        maxDimY: 0,
      };
      return make(i as TangoAttributeInfo, attr.toLowerCase()) as SignalR<string>;
    };
    this.state = fixed('State');
    this.status = fixed('Status');
    const cmds: Record<string, TangoCommand> = {};
    const cmdInfo = new Map(info.commands.map((c) => [c.name.toLowerCase(), c]));
    const wantedCmds = options.commandNames ?? new Map(info.commands.map((c) => [c.name, c.name]));
    for (const [prop, cmd] of wantedCmds) {
      const ci = cmdInfo.get(cmd.toLowerCase())!;
      const fn = (arg?: TangoCommandValue): Promise<TangoCommandValue> => {
        const problem = commandArgProblem(ci.inType, arg);
        if (problem) return Promise.reject(new InvalidInputError({ what: `${this.name}.${prop}`, value: arg, reason: problem }));
        return backend.command(ci.name, arg, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      };
      cmds[prop] = Object.assign(fn, { info: ci });
    }
    this.commands = cmds;
    const readables: Array<SignalR<unknown> | SignalR<string>> = [this.state];
    for (const r of options.read ?? []) {
      const s = signals[signalName(r)] ?? [...Object.entries(signals)].find(([, sig]) => (sig.backend as TangoAttributeBackend<unknown>).info?.name.toLowerCase() === r.toLowerCase())?.[1];
      if (!s) throw new InvalidInputError({ what: `${name} read`, value: r, reason: `no attribute '${r}' on ${info.name}` });
      readables.push(s);
    }
    this.addReadables(readables, 'read');
    this.setName(name);
  }

  /** Connect every signal; on the mock tier `state` then reads `ON` (the default mock behaviour). */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    if (options.mock) {
      setMockValue(this.state, 'ON');
      setMockValue(this.status, 'mock Tango device');
    }
  }

  protected override childEntries(): Iterable<[string, unknown]> {
    return [
      ['state', this.state],
      ['status', this.status],
      ...Object.entries(this.signals),
    ];
  }

  /** The signal of attribute `attr` (its Tango name or property name); undefined when absent. */
  attribute(attr: string): SignalR<unknown> | undefined {
    const direct = this.signals[signalName(attr)];
    if (direct) return direct;
    return Object.values(this.signals).find((s) => (s.backend as TangoAttributeBackend<unknown>).info?.name.toLowerCase() === attr.toLowerCase());
  }

  /** Stop every subscription and poll, then close the backend (when this device owns it). Never throws. */
  async close(): Promise<void> {
    for (const s of [this.state, this.status, ...Object.values(this.signals)]) s.backend.setCallback(undefined);
    await this.subscriptions.close().catch(() => undefined);
    if (this.#closeBackend) await this.backend.close();
  }
}

/** A declared readable attribute (typed value `T`). */
export interface TangoAttrDecl<K extends 'r' | 'rw', T> {
  readonly kind: K;
  readonly attr: string;
  /** Phantom: the value type. */
  readonly type?: T;
}

/** A declared command (argument `A`, result `R`). */
export interface TangoCmdDecl<A, R> {
  readonly kind: 'cmd';
  readonly command: string;
  /** Phantom: argument and result types. */
  readonly type?: [A, R];
}

/** Declare a readable attribute `attr` (a SignalR<T> on the typed device). */
export function tangoR<T = unknown>(attr: string): TangoAttrDecl<'r', T> {
  return { kind: 'r', attr };
}

/** Declare a writable attribute `attr` (a SignalRW<T>; the server must let it be written). */
export function tangoRW<T = unknown>(attr: string): TangoAttrDecl<'rw', T> {
  return { kind: 'rw', attr };
}

/** Declare a command (a callable `(arg: A) => Promise<R>`). */
export function tangoCmd<A = undefined, R = TangoCommandValue>(command: string): TangoCmdDecl<A, R> {
  return { kind: 'cmd', command };
}

/** A declaration: property names → attributes and commands. */
export type TangoDeclaration = Record<string, TangoAttrDecl<'r' | 'rw', unknown> | TangoCmdDecl<unknown, unknown>>;

/** What a declaration builds: SignalRW / SignalR / callables under the declared names. */
export type DeclaredDevice<S extends TangoDeclaration> = TangoDevice & {
  readonly [K in keyof S]: S[K] extends TangoAttrDecl<'rw', infer T>
    ? SignalRW<T>
    : S[K] extends TangoAttrDecl<'r', infer T>
      ? SignalR<T>
      : S[K] extends TangoCmdDecl<infer A, infer R>
        ? (arg?: A) => Promise<R>
        : never;
};

/** Check a declaration against the server's description; every problem by property name. */
export function checkDeclaration(declaration: TangoDeclaration, info: TangoDeviceInfo): Map<string, Error> {
  const attrs = new Map(info.attributes.map((a) => [a.name.toLowerCase(), a]));
  const cmds = new Map(info.commands.map((c) => [c.name.toLowerCase(), c]));
  const problems = new Map<string, Error>();
  for (const [prop, d] of Object.entries(declaration)) {
    if (RESERVED.has(prop)) {
      problems.set(prop, new InvalidInputError({ what: prop, value: prop, reason: 'reserved property name of a Tango device' }));
      continue;
    }
    if (d.kind === 'cmd') {
      if (!cmds.has(d.command.toLowerCase())) problems.set(prop, new InvalidInputError({ what: prop, value: d.command, reason: `no command '${d.command}' on ${info.name}` }));
      continue;
    }
    const a = attrs.get(d.attr.toLowerCase());
    if (!a) problems.set(prop, new InvalidInputError({ what: prop, value: d.attr, reason: `no attribute '${d.attr}' on ${info.name}` }));
    else if (d.kind === 'rw' && !writableAttr(a)) problems.set(prop, new InvalidInputError({ what: prop, value: d.attr, reason: `attribute '${d.attr}' is read-only (${a.writable})` }));
  }
  return problems;
}

/** Options of {@link connectTangoDevice}. */
export interface ConnectTangoOptions extends TangoDeviceOptions {
  /** Device name (default: the Tango device name with `/` → `_`). */
  name?: string;
  /** Limit of the connect (describe) call, ms. */
  connectTimeoutMs?: number;
  /** Close the backend when the device closes (default true). */
  ownsBackend?: boolean;
}

/**
 * Connect `backend` to `address` and build a device: the whole server description, or only what
 * `declaration` names (typed; every missing name in one NotConnectedError, backend closed).
 */
export async function connectTangoDevice<S extends TangoDeclaration>(
  backend: TangoBackend,
  address: TangoAddress,
  declaration?: S,
  options: ConnectTangoOptions = {},
): Promise<DeclaredDevice<S>> {
  const name = options.name ?? address.device.replace(/\//g, '_');
  let info: TangoDeviceInfo;
  try {
    info = await backend.connect(address, options.connectTimeoutMs === undefined ? {} : { timeoutMs: options.connectTimeoutMs });
  } catch (e) {
    if (options.ownsBackend ?? true) await backend.close();
    throw e;
  }
  const source = address.host === undefined ? `tango://${address.device}` : `tango://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}/${address.device}`;
  if (!declaration) return new TangoDevice(name, backend, info, { ...options, source }) as DeclaredDevice<S>;
  const problems = checkDeclaration(declaration, info);
  if (problems.size > 0) {
    if (options.ownsBackend ?? true) await backend.close();
    throw new NotConnectedError({ device: name, errors: problems });
  }
  const attributes = new Map<string, string>();
  const commandNames = new Map<string, string>();
  for (const [prop, d] of Object.entries(declaration)) {
    if (d.kind === 'cmd') commandNames.set(prop, d.command);
    else attributes.set(prop, d.attr);
  }
  const dev = new TangoDevice(name, backend, info, { ...options, source, attributes, commandNames });
  for (const prop of attributes.keys()) Object.defineProperty(dev, prop, { value: dev.signals[prop], enumerable: false });
  for (const prop of commandNames.keys()) Object.defineProperty(dev, prop, { value: dev.commands[prop], enumerable: false });
  return dev as DeclaredDevice<S>;
}
