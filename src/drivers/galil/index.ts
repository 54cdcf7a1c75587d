/**
 * Galil DMC motion controllers and RIO I/O units.
 *
 * `openGalil('galil+tcp://10.0.0.5:23', config)` connects and returns a GalilController;
 * `createGalil(config)` builds one without a transport for `connect({ mock: true })`. The family
 * descriptor `galilFamily` (schemes `galil+tcp`, default port 23, and `galil+serial`, default
 * 115200 baud; parameters; e-stop confirmation) is registered with `registerFamily`; importing this
 * module registers nothing, and `openGalil(uri)` needs no registry.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { createRequestChannel } from '../../protocols/channel/channel.js';
import type { ByteStream, RequestChannel } from '../../protocols/contracts.js';
import type { SerialAddress, TcpAddress } from '../../protocols/uri.js';
import { checkFamilyOptions, connectOrClose, resolveTarget, streamOf } from '../family.js';
import type { GalilConfig } from './config.js';
import { GalilController } from './device.js';
import { galilFamily } from './family.js';
import { GalilIO } from './io.js';

export { GalilController } from './device.js';
export { GalilAxis, type GalilAxisSignals, type ReferenceOptions } from './axis.js';
export { GalilIOBank, type PulseOptions } from './io-bank.js';
export { GalilIO, type CommandOptions, type GalilIOOptions } from './io.js';
export { ask, galilContext, send, type GalilContext } from './signals.js';
export { resolveConfig, toCounts, type GalilAxisConfig, type GalilConfig, type GalilIOConfig, type ResolvedAxis } from './config.js';
export * from './protocol.js';

declare module '../../protocols/uri.js' {
  interface SchemeRegistry {
    'galil+tcp': { address: TcpAddress; opens: ByteStream };
    'galil+serial': { address: SerialAddress; opens: ByteStream };
  }
}

export { galilFamily, GALIL_BAUD, GALIL_PARAMS, GALIL_TCP_PORT, type GalilFamilyOptions } from './family.js';

/**
 * Where a controller is: a URI, an open-able ByteStream, or a RequestChannel framed for Galil
 * (closed by the controller's `close()` only with `owns: true`).
 */
export type GalilTarget = string | { stream: ByteStream } | { channel: RequestChannel; owns?: boolean };

/** Options of openGalil beyond the controller config. */
export interface OpenGalilOptions extends GalilConfig {
  /** Device name (prefix of every data key). Default `galil`. */
  name?: string;
}

/** Build a request channel for Galil replies over `stream` (`:`/`?` framing, no suffix, reconnect on). */
export function galilChannel(stream: ByteStream, timeoutMs = 1000): RequestChannel {
  return createRequestChannel(stream, { framing: { mode: 'galil' }, timeoutMs, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
}

/**
 * Build a controller without connecting it: give no target for mock use
 * (`await c.connect({ mock: true })`), or a target as for openGalil.
 */
export function createGalil(options: OpenGalilOptions = {}, target?: GalilTarget): GalilController {
  const { name = 'galil', ...rest } = options;
  let config: GalilConfig;
  let channel: RequestChannel | undefined;
  let owns = true;
  if (typeof target === 'string') {
    const r = resolveTarget(galilFamily, target, rest as Record<string, unknown>);
    config = r.options;
    channel = galilChannel(streamOf(r.target), config.timeoutMs ?? 1000);
  } else {
    config = checkFamilyOptions(galilFamily, rest as Record<string, unknown>);
    if (target && 'stream' in target) channel = galilChannel(target.stream, config.timeoutMs ?? 1000);
    else if (target && 'channel' in target) {
      channel = target.channel;
      owns = target.owns ?? false;
    } else if (target !== undefined) throw new InvalidInputError({ what: 'galil target', value: target, reason: 'give a URI, { stream } or { channel }' });
  }
  return buildGalil(name, config, channel, owns);
}

/** Build a controller from checked options over `channel` (none: mock use); `owns`: its `close()` closes the channel. */
export function buildGalil(name: string, config: GalilConfig, channel: RequestChannel | undefined, owns: boolean): GalilController {
  const commands = new GalilIO(channel, { name, timeoutMs: config.timeoutMs ?? 1000 });
  return new GalilController(name, commands, config, owns ? () => commands.close() : undefined);
}

/** Connect to a controller by URI (`galil+tcp://host:23`, `galil+serial:///dev/ttyUSB0?baud=115200`), stream or channel. */
export async function openGalil(target: GalilTarget, options: OpenGalilOptions = {}): Promise<GalilController> {
  return connectOrClose(createGalil(options, target), Math.max(3000, (options.timeoutMs ?? 1000) * 3));
}
