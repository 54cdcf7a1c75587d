/**
 * KD Scientific Legato / Harvard Apparatus Pump 11 Elite / PHD Ultra syringe pumps.
 *
 * `openLegato('legato+serial:///dev/ttyUSB1?address=0&baud=115200', options)` connects one pump;
 * `openLegatoChain(uri, [{ address: 0 }, { address: 1 }])` several pumps daisy-chained on one
 * line; `createLegato(options)` builds one without a transport for `connect({ mock: true })`.
 * The family descriptor `legatoFamily` (schemes `legato+serial`, default 115200 baud, and
 * `legato+tcp` for a serial-to-Ethernet gateway; parameters `address` 0..99, `poll`, `form`,
 * the pump settings; e-stop confirmation) is registered with `registerFamily`; importing this
 * module registers nothing, and `openLegato(uri)` needs no registry.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { createRequestChannel } from '../../protocols/channel/channel.js';
import type { ByteStream, RequestChannel } from '../../protocols/contracts.js';
import type { SerialAddress, TcpAddress } from '../../protocols/uri.js';
import { checkFamilyOptions, connectOrClose, resolveTarget, streamOf } from '../family.js';
import { LegatoPump, type LegatoPumpOptions } from './device.js';
import { legatoFamily, type LegatoFamilyOptions } from './family.js';
import { LegatoIO } from './io.js';
import { checkAddress, LegatoFramer, type AddressForm } from './protocol.js';

export { LegatoPump, type LegatoPumpOptions, type LegatoPumpSignals } from './device.js';
export { LegatoIO, type CommandOptions, type LegatoIOOptions, type StatusReport } from './io.js';
export { StatusSource, legatoContext, type LegatoContext, type StampedStatus } from './signals.js';
export type { DispenseOptions } from './dispense.js';
export { installPumpMock } from './mock.js';
export * from './protocol.js';
export * from './units.js';

declare module '../../protocols/uri.js' {
  interface SchemeRegistry {
    'legato+serial': { address: SerialAddress; opens: ByteStream };
    'legato+tcp': { address: TcpAddress; opens: ByteStream };
  }
}

export { legatoFamily, LEGATO_BAUD, LEGATO_PARAMS, type LegatoFamilyOptions } from './family.js';

/** Where a pump is: a URI, an open-able ByteStream, or a RequestChannel. */
export type LegatoTarget = string | { stream: ByteStream } | { channel: RequestChannel };

/** Options of openLegato beyond the pump settings. */
export interface OpenLegatoOptions extends LegatoPumpOptions {
  /** Device name (prefix of every data key). Default `pump`, or `pump<N>` for address N > 0. */
  name?: string;
  /** Pump address 0..99 (overrides the URI's `address`). */
  address?: number;
  /** Poll mode (overrides the URI's `poll`). Default true. */
  poll?: boolean;
  /** Address form (overrides the URI's `form`). Default `plain`. */
  form?: AddressForm;
}

/** Read `address`, `poll` and `form` from a URI's parameters (checked like every other parameter). */
export function uriSettings(uri: string): { address?: number; poll?: boolean; form?: AddressForm } {
  const { address, poll, form } = resolveTarget(legatoFamily, uri).options;
  return { ...(address === undefined ? {} : { address }), ...(poll === undefined ? {} : { poll }), ...(form === undefined ? {} : { form }) };
}

/** Build a request channel for pump replies over `stream` (reconnects; each command picks its framing). */
export function legatoChannel(stream: ByteStream, timeoutMs = 1000): RequestChannel {
  return createRequestChannel(stream, { framing: new LegatoFramer({ mode: 'xon' }), timeoutMs, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
}

/** Check a target and options together (a URI's parameters and explicit options, options winning). */
function resolve(target: LegatoTarget | undefined, options: OpenLegatoOptions): { channel: RequestChannel | undefined; owns: boolean; options: OpenLegatoOptions } {
  const { name, ...rest } = options;
  const named = (o: LegatoFamilyOptions): OpenLegatoOptions => ({ ...o, ...(name === undefined ? {} : { name }) });
  if (typeof target === 'string') {
    const r = resolveTarget(legatoFamily, target, rest as Record<string, unknown>);
    return { channel: legatoChannel(streamOf(r.target), r.options.timeoutMs ?? 1000), owns: true, options: named(r.options) };
  }
  const o = named(checkFamilyOptions(legatoFamily, rest as Record<string, unknown>));
  if (target === undefined) return { channel: undefined, owns: true, options: o };
  if ('stream' in target) return { channel: legatoChannel(target.stream, o.timeoutMs ?? 1000), owns: true, options: o };
  if ('channel' in target) return { channel: target.channel, owns: false, options: o };
  throw new InvalidInputError({ what: 'legato target', value: target, reason: 'give a URI, { stream } or { channel }' });
}

/** Build a pump from checked options over `channel` (none: mock use); `owns`: its `close()` closes the channel. */
export function buildPump(channel: RequestChannel | undefined, owns: boolean, options: OpenLegatoOptions): LegatoPump {
  const address = options.address ?? 0;
  const io = new LegatoIO(channel, {
    name: options.name ?? (address === 0 ? 'pump' : `pump${address}`),
    address,
    poll: options.poll ?? true,
    form: options.form ?? 'plain',
    timeoutMs: options.timeoutMs ?? 1000,
  });
  return new LegatoPump(io.name, io, options, owns && channel ? () => channel.close() : undefined);
}

/** Build a pump without connecting it: no target for mock use (`await p.connect({ mock: true })`). */
export function createLegato(options: OpenLegatoOptions = {}, target?: LegatoTarget): LegatoPump {
  const r = resolve(target, options);
  return buildPump(r.channel, r.owns, r.options);
}

/** Connect to one pump by URI, stream or channel (see the module notes). */
export async function openLegato(target: LegatoTarget, options: OpenLegatoOptions = {}): Promise<LegatoPump> {
  const r = resolve(target, options);
  return connectOrClose(buildPump(r.channel, r.owns, r.options), Math.max(3000, (r.options.timeoutMs ?? 1000) * 5));
}

/** Several pumps daisy-chained on one line, sharing one channel. */
export interface LegatoChain {
  /** The pumps, in the order asked. */
  readonly pumps: readonly LegatoPump[];
  /** The shared channel. */
  readonly channel: RequestChannel;
  /** Close every pump and the channel. */
  close(): Promise<void>;
}

/** Connect to every pump of a chain on one line (`pumps[i].address` must differ). */
export async function openLegatoChain(target: LegatoTarget, pumps: readonly OpenLegatoOptions[]): Promise<LegatoChain> {
  if (!Array.isArray(pumps) || pumps.length === 0) throw new InvalidInputError({ what: 'legato chain pumps', value: pumps, reason: 'give at least one pump' });
  const seen = new Set<number>();
  for (const p of pumps) {
    const a = checkAddress(p.address ?? 0);
    if (seen.has(a)) throw new InvalidInputError({ what: 'legato chain address', value: a, reason: 'appears twice' });
    seen.add(a);
  }
  const { channel, owns, options: fromTarget } = resolve(target, { timeoutMs: Math.max(...pumps.map((p) => p.timeoutMs ?? 1000)) });
  if (!channel) throw new InvalidInputError({ what: 'legato chain target', value: target, reason: 'give a URI, { stream } or { channel }' });
  const shared = { ...(fromTarget.poll === undefined ? {} : { poll: fromTarget.poll }), ...(fromTarget.form === undefined ? {} : { form: fromTarget.form }) };
  const list = pumps.map((p) => buildPump(channel, false, { ...shared, ...resolve(undefined, p).options }));
  const close = async (): Promise<void> => {
    await Promise.all(list.map((p) => p.close().catch(() => undefined)));
    if (owns) await channel.close();
  };
  try {
    for (const p of list) await p.connect({ timeoutMs: 5000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { pumps: list, channel, close };
}
