/**
 * Alicat mass flow controllers (MFC) and meters (MFM) over serial (multi-drop unit ids A–Z on one
 * line) or a serial-to-Ethernet gateway.
 *
 * `openAlicat('alicat+serial:///dev/ttyUSB0?unit=A&baud=19200', { fullScale: 100 })` connects one
 * unit; `openAlicatBus(uri)` opens a line once and hands out a device per unit id, all sharing one
 * request channel (one command on the wire at a time). The family descriptor `alicatFamily`
 * (schemes `alicat+serial`, default 19200 baud, and `alicat+tcp`, port required; parameters;
 * e-stop confirmation) is registered with `registerFamily`; importing this module registers
 * nothing, and `openAlicat(uri)` needs no registry.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { createRequestChannel } from '../../protocols/channel/channel.js';
import { prefixAddressing } from '../../protocols/channel/reply.js';
import type { ByteStream, RequestChannel } from '../../protocols/contracts.js';
import type { SerialAddress, TcpAddress } from '../../protocols/uri.js';
import { checkFamilyOptions, connectOrClose, resolveTarget, streamOf } from '../family.js';
import type { AlicatConfig } from './config.js';
import { AlicatFlowController } from './device.js';
import { alicatFamily } from './family.js';
import { AlicatFlowMeter } from './meter.js';
import { AlicatIO } from './io.js';
import { replyUnit } from './protocol.js';

export { AlicatFlowController, type AlicatControllerSignals } from './device.js';
export { AlicatFlowMeter } from './meter.js';
export { AlicatIO, SETPOINT_ECHO_TOLERANCE, replyMatches, type AlicatIOOptions, type CommandOptions, type ReplyKind } from './io.js';
export { AlicatContext, FrameSource, refresh, type AlicatCommonSignals, type StampedFrame } from './signals.js';
export { AlicatActions, AlicatFlags, type AlicatActionSignals, type AlicatFlagSignals } from './signals.js';
export { DEFAULT_UNITS, resolveAlicatConfig, setpointLimits, settleTolerance, type AlicatConfig, type AlicatUnits, type ResolvedAlicatConfig, type SettleMode } from './config.js';
export * from './protocol.js';

declare module '../../protocols/uri.js' {
  interface SchemeRegistry {
    'alicat+tcp': { address: TcpAddress; opens: ByteStream };
    'alicat+serial': { address: SerialAddress; opens: ByteStream };
  }
}

export { alicatFamily, ALICAT_BAUD, ALICAT_PARAMS, type AlicatFamilyOptions } from './family.js';

/** A controller or a meter. */
export type AlicatDevice = AlicatFlowController | AlicatFlowMeter;

/**
 * Build a request channel for an Alicat line over `stream`: CR appended to every command, replies
 * framed by CR, multi-drop addressing by unit id (`forAddress('B')`; replies from other units are
 * dropped, a bare `?` is accepted), reconnect with backoff. After a failed request the line must
 * stay quiet for `quietMs` (default: half the timeout, at most 250 ms) before the next command, so a
 * late reply is discarded instead of being taken for the next command's (Alicat replies carry no
 * sequence number).
 */
export function alicatChannel(stream: ByteStream, options: { timeoutMs?: number; quietMs?: number } = {}): RequestChannel {
  const timeoutMs = options.timeoutMs ?? 1000;
  return createRequestChannel(stream, {
    framing: { mode: 'terminator', terminators: ['\r'], maxBytes: 1024 },
    suffix: '\r',
    timeoutMs,
    quietMs: options.quietMs ?? Math.min(timeoutMs / 2, 250),
    addressing: prefixAddressing({ replyAddress: (r) => replyUnit(r.text) }),
    reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
  });
}

/** Where a unit is: a URI, an open-able ByteStream, or an Alicat channel (`alicatChannel`, or a view of one). */
export type AlicatTarget = string | { stream: ByteStream } | { channel: RequestChannel };

/** Options of openAlicat beyond the unit config. */
export interface OpenAlicatOptions extends AlicatConfig {
  /** Device name (prefix of every data key). Default `mfc<unit>` / `mfm<unit>`. */
  name?: string;
}

/** Turn a URI's driver parameters into config fields, checked (explicit options win when merged). */
export function configFromUri(uri: string): AlicatConfig {
  return resolveTarget(alicatFamily, uri).options;
}

/** Return the unit's view of a multi-drop channel (replies from other units dropped). */
export function viewFor(channel: RequestChannel, unit: string): RequestChannel {
  try {
    return channel.forAddress(unit);
  } catch (e) {
    throw new InvalidInputError({ what: 'alicat channel', value: channel.address, reason: `needs unit-id addressing: build it with alicatChannel(stream) (${(e as Error).message})` });
  }
}

/** Build a unit from checked options over a unit view (none: mock use); `release` frees the view or line on close. */
export function buildAlicat(options: OpenAlicatOptions, view: RequestChannel | undefined, release: (() => Promise<void>) | undefined, lineAddress?: string): AlicatDevice {
  const unit = options.unit ?? 'A';
  const kind = options.kind ?? 'controller';
  const { name = `${kind === 'meter' ? 'mfm' : 'mfc'}${unit}`, ...config } = options;
  const line = lineAddress !== undefined && lineAddress.length > 1 ? { lineAddress } : {};
  const io = new AlicatIO(view, { unit, name, timeoutMs: config.timeoutMs ?? 1000, dialect: config.dialect ?? 'legacy', kind, ...line });
  return kind === 'meter' ? new AlicatFlowMeter(name, io, { ...config, unit }, release) : new AlicatFlowController(name, io, { ...config, unit }, release);
}

/** Check explicit options (the family's parameters plus `name`). */
function checked(options: OpenAlicatOptions): OpenAlicatOptions {
  const { name, ...rest } = options;
  return { ...checkFamilyOptions(alicatFamily, rest as Record<string, unknown>), ...(name === undefined ? {} : { name }) };
}

/**
 * Build a unit without connecting it: no target for mock use (`await d.connect({ mock: true })`),
 * or a target as for openAlicat. URI parameters fill options not given explicitly.
 */
export function createAlicat(options: OpenAlicatOptions & { kind: 'meter' }, target?: AlicatTarget): AlicatFlowMeter;
export function createAlicat(options: OpenAlicatOptions & { kind: 'controller' }, target?: AlicatTarget): AlicatFlowController;
export function createAlicat(options?: OpenAlicatOptions, target?: AlicatTarget): AlicatDevice;
export function createAlicat(options: OpenAlicatOptions = {}, target?: AlicatTarget): AlicatDevice {
  return create(options, target).device;
}

function create(options: OpenAlicatOptions, target: AlicatTarget | undefined): { device: AlicatDevice; options: OpenAlicatOptions } {
  if (typeof target === 'string') {
    const { name, ...rest } = options;
    const r = resolveTarget(alicatFamily, target, rest as Record<string, unknown>);
    const o: OpenAlicatOptions = { ...r.options, ...(name === undefined ? {} : { name }) };
    const channel = alicatChannel(streamOf(r.target), { timeoutMs: o.timeoutMs });
    return { device: buildAlicat(o, viewFor(channel, o.unit ?? 'A'), () => channel.close(), channel.address), options: o };
  }
  const o = checked(options);
  if (target === undefined) return { device: buildAlicat(o, undefined, undefined), options: o };
  if (typeof target === 'object' && target !== null && 'stream' in target) {
    const channel = alicatChannel(target.stream, { timeoutMs: o.timeoutMs });
    return { device: buildAlicat(o, viewFor(channel, o.unit ?? 'A'), () => channel.close(), channel.address), options: o };
  }
  if (typeof target === 'object' && target !== null && 'channel' in target) {
    const view = viewFor(target.channel, o.unit ?? 'A');
    return { device: buildAlicat(o, view, () => view.close(), target.channel.address), options: o };
  }
  throw new InvalidInputError({ what: 'alicat target', value: target, reason: 'give a URI, { stream } or { channel }' });
}

function connected<D extends AlicatDevice>(d: D, options: AlicatConfig): Promise<D> {
  return connectOrClose(d, Math.max(3000, (options.timeoutMs ?? 1000) * 3));
}

/** Connect one unit by URI (`alicat+serial:///dev/ttyUSB0?unit=A`, `alicat+tcp://host:port?unit=B`), stream or channel. */
export function openAlicat(target: AlicatTarget, options: OpenAlicatOptions & { kind: 'meter' }): Promise<AlicatFlowMeter>;
export function openAlicat(target: AlicatTarget, options: OpenAlicatOptions & { kind: 'controller' }): Promise<AlicatFlowController>;
export function openAlicat(target: AlicatTarget, options?: OpenAlicatOptions): Promise<AlicatDevice>;
export async function openAlicat(target: AlicatTarget, options: OpenAlicatOptions = {}): Promise<AlicatDevice> {
  const c = create(options, target);
  return connected(c.device, c.options);
}

/** Several units on one line: one channel, one device per unit id. */
export interface AlicatBus {
  /** The shared channel (one command on the wire at a time, FIFO). */
  readonly channel: RequestChannel;
  /** Connect the unit `options.unit` on this line (the device's `close()` leaves the line open). */
  unit(options: OpenAlicatOptions & { kind: 'meter' }): Promise<AlicatFlowMeter>;
  unit(options: OpenAlicatOptions & { kind: 'controller' }): Promise<AlicatFlowController>;
  unit(options: OpenAlicatOptions): Promise<AlicatDevice>;
  /** Close the line (every unit's pending commands fail with CanceledError). */
  close(): Promise<void>;
}

/** Open a multi-drop line once (URI without `unit`, or a stream) and hand out units on it. */
export async function openAlicatBus(target: string | { stream: ByteStream }, options: { timeoutMs?: number } = {}): Promise<AlicatBus> {
  const stream = typeof target === 'string' ? streamOf(resolveTarget(alicatFamily, target).target) : target.stream;
  const channel = alicatChannel(stream, options);
  try {
    await channel.open({ timeoutMs: Math.max(3000, options.timeoutMs ?? 1000) });
  } catch (e) {
    await channel.close().catch(() => undefined);
    throw e;
  }
  const unit = (o: OpenAlicatOptions): Promise<AlicatDevice> => connected(createAlicat({ timeoutMs: options.timeoutMs, ...o }, { channel }), o);
  return {
    channel,
    unit: unit as AlicatBus['unit'],
    close: () => channel.close(),
  };
}

/** Tell whether a device is a flow controller (has a setpoint). */
export function isAlicatController(d: AlicatDevice): d is AlicatFlowController {
  return d instanceof AlicatFlowController;
}
