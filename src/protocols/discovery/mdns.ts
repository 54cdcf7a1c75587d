/**
 * mDNS / DNS-SD discovery on bonjour-service: `browse` for instruments that advertise a service
 * type (e.g. `_scpi-raw._tcp`, `_lxi._tcp`, `_vxi-11._tcp`) within a time limit, and `publish`
 * a service (simulators announce themselves the same way real instruments do).
 *
 * Behaviour:
 * - `browse` listens for `timeoutMs` (or until `limit` services were seen) and resolves with what
 *   answered; when nothing answered it rejects with NotFoundError (a DisconnectedError) naming
 *   the type, the interface and the time waited. `signal` rejects it with CanceledError.
 * - `publish` resolves once the first announcement went out (within `timeoutMs`, else
 *   TimeoutError); `stop()` sends the goodbye and closes the socket.
 * - A socket that cannot bind (port in use without SO_REUSEADDR, no permission) rejects with
 *   DisconnectedError. Malformed types, names, ports or times are InvalidInputError before any
 *   socket opens.
 * - `interface` is the IPv4 address of the interface to use (membership and outgoing multicast);
 *   the socket then binds 0.0.0.0, because a socket bound to a unicast address receives no
 *   multicast. Without `interface`, bonjour-service joins the group on every interface.
 * @module
 */
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import { CanceledError, DisconnectedError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { WaitOptions } from '../contracts.js';
import { NotFoundError } from './not-found.js';

/** Where the mDNS socket lives. */
export interface MdnsOptions {
  /** IPv4 address of the interface for multicast, e.g. `127.0.0.1`; default every interface. */
  interface?: string;
  /** Address the socket binds (default `0.0.0.0`). */
  bind?: string;
  /** UDP port (default 5353). */
  port?: number;
}

/** Options of {@link browse}. */
export interface BrowseOptions extends MdnsOptions {
  /** How long to listen, in milliseconds. Default 3000. */
  timeoutMs?: number;
  /** Stop listening early once this many services were seen. */
  limit?: number;
  /** Only the service instance with this name. */
  name?: string;
  /** Stop listening (rejects with CanceledError). */
  signal?: AbortSignal;
}

/** A service found by {@link browse}. */
export interface DiscoveredService {
  /** Instance name, e.g. `Keysight 34465A MY1234`. */
  name: string;
  /** Service type without underscores, e.g. `scpi-raw`. */
  type: string;
  protocol: 'tcp' | 'udp';
  /** Full DNS-SD name, e.g. `Scope._scpi-raw._tcp.local`. */
  fqdn: string;
  /** Host name from the SRV record. */
  host: string;
  port: number;
  /** Addresses from A/AAAA records, else the address the answer came from. */
  addresses: string[];
  /** TXT record as text values. */
  txt: Record<string, string>;
  subtypes: string[];
}

/** A service to announce. */
export interface PublishOptions {
  name: string;
  /** Service type, e.g. `scpi-raw` or `_scpi-raw._tcp`. */
  type: string;
  port: number;
  txt?: Record<string, string | number | boolean>;
  /** Host name in the SRV record (default this machine's name). */
  host?: string;
  subtypes?: string[];
  /** Check that the name is free before announcing (RFC 6762 probing, ~750 ms). Default true. */
  probe?: boolean;
}

/** A published service. */
export interface PublishedService {
  readonly name: string;
  readonly fqdn: string;
  readonly port: number;
  /** Send the goodbye and close the socket. Idempotent. */
  stop(): Promise<void>;
}

/** Split `_scpi-raw._tcp`, `scpi-raw`, `_lxi._udp` into bonjour-service's type and protocol. */
export function parseServiceType(type: string): { type: string; protocol: 'tcp' | 'udp' } {
  if (typeof type !== 'string') throw new InvalidInputError({ what: 'mDNS service type', value: type, reason: 'must be a string like _scpi-raw._tcp' });
  const m = /^_?([a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?)(?:\._(tcp|udp))?(?:\.local\.?)?$/i.exec(type.trim());
  if (!m || m[1]!.includes('--')) {
    throw new InvalidInputError({ what: 'mDNS service type', value: type, reason: 'must be 1-15 letters, digits or inner hyphens, optionally as _name._tcp or _name._udp (RFC 6335)' });
  }
  return { type: m[1]!.toLowerCase(), protocol: (m[2]?.toLowerCase() as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function checkMdns(options: MdnsOptions): void {
  const ipv4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
  if (options.interface !== undefined && !ipv4.test(options.interface)) throw new InvalidInputError({ what: 'mDNS interface', value: options.interface, reason: 'must be the IPv4 address of an interface, e.g. 127.0.0.1' });
  if (options.bind !== undefined && !ipv4.test(options.bind)) throw new InvalidInputError({ what: 'mDNS bind address', value: options.bind, reason: 'must be an IPv4 address' });
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) throw new InvalidInputError({ what: 'mDNS port', value: options.port, reason: 'must be 1..65535' });
}

function positiveMs(what: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new InvalidInputError({ what, value: v, reason: 'must be a positive number of milliseconds' });
  return v;
}

interface MdnsSocket {
  on(event: 'error', listener: (err: Error) => void): void;
}

/** Create a Bonjour instance whose socket errors reach `onError` instead of crashing the process. */
function open(options: MdnsOptions, onError: (err: Error) => void): Bonjour {
  const config: Record<string, unknown> = {};
  if (options.interface !== undefined) {
    config.interface = options.interface;
    config.bind = options.bind ?? '0.0.0.0';
  } else if (options.bind !== undefined) config.bind = options.bind;
  if (options.port !== undefined) config.port = options.port;
  const bonjour = new Bonjour(config, (err: Error) => onError(err));
  (bonjour as unknown as { server: { mdns: MdnsSocket } }).server.mdns.on('error', onError);
  return bonjour;
}

function destroy(bonjour: Bonjour): Promise<void> {
  return new Promise((resolve) => bonjour.destroy(() => resolve()));
}

function toDiscovered(s: Service): DiscoveredService {
  const txt: Record<string, string> = {};
  for (const [k, v] of Object.entries((s.txt ?? {}) as Record<string, unknown>)) txt[k] = Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
  const addresses = s.addresses && s.addresses.length > 0 ? [...s.addresses] : s.referer ? [s.referer.address] : [];
  return { name: s.name, type: s.type, protocol: s.protocol, fqdn: s.fqdn, host: s.host, port: s.port, addresses, txt, subtypes: [...(s.subtypes ?? [])] };
}

/** Listen for services of `type` (see the module notes); rejects with NotFoundError when none answered. */
export async function browse(type: string, options: BrowseOptions = {}): Promise<DiscoveredService[]> {
  const parsed = parseServiceType(type);
  checkMdns(options);
  const timeoutMs = positiveMs('mDNS browse timeoutMs', options.timeoutMs, 3000);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new InvalidInputError({ what: 'mDNS browse limit', value: options.limit, reason: 'must be a positive integer' });
  const label = `_${parsed.type}._${parsed.protocol}${options.name ? ` named "${options.name}"` : ''}`;
  if (options.signal?.aborted) throw new CanceledError(`mDNS browse ${label}: canceled`);
  let failure: Error | undefined;
  let finish: () => void = () => {};
  const bonjour = open(options, (err) => {
    failure ??= new DisconnectedError({ device: `mDNS ${options.interface ?? 'all interfaces'}`, detail: `socket error: ${err.message}`, cause: err });
    finish();
  });
  const found = new Map<string, DiscoveredService>();
  let browser: Browser | undefined;
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), timeoutMs);
      const onAbort = (): void => {
        failure ??= new CanceledError(`mDNS browse ${label}: canceled`);
        finish();
      };
      finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // The instance name is filtered here: bonjour-service's own `name` option changes the PTR
      // question it asks, and answers to the plain type question then no longer match.
      browser = bonjour.find({ type: parsed.type, protocol: parsed.protocol }, (s: Service) => {
        const d = toDiscovered(s);
        if (options.name && d.name !== options.name) return;
        found.set(d.fqdn, d);
        if (options.limit !== undefined && found.size >= options.limit) finish();
      });
    });
  } finally {
    browser?.stop();
    await destroy(bonjour);
  }
  if (failure) throw failure;
  if (found.size === 0) {
    throw new NotFoundError({ what: `mDNS service ${label}`, tried: [`multicast on ${options.interface ?? 'all interfaces'} for ${timeoutMs} ms`], detail: 'no service answered' });
  }
  return [...found.values()];
}

/** Announce a service; resolves once it is announced (see the module notes). */
export async function publish(service: PublishOptions, options: MdnsOptions & WaitOptions = {}): Promise<PublishedService> {
  if (!service || typeof service.name !== 'string' || service.name.trim() === '' || service.name.length > 63) {
    throw new InvalidInputError({ what: 'mDNS service name', value: service?.name, reason: 'must be 1-63 characters' });
  }
  const parsed = parseServiceType(service.type);
  if (!Number.isInteger(service.port) || service.port < 1 || service.port > 65535) throw new InvalidInputError({ what: 'mDNS service port', value: service.port, reason: 'must be 1..65535' });
  checkMdns(options);
  const timeoutMs = positiveMs('mDNS publish timeoutMs', options.timeoutMs, 3000);
  if (options.signal?.aborted) throw new CanceledError(`mDNS publish ${service.name}: canceled`);
  let failure: Error | undefined;
  let settle: () => void = () => {};
  const bonjour = open(options, (err) => {
    failure ??= new DisconnectedError({ device: `mDNS ${options.interface ?? 'all interfaces'}`, detail: `socket error: ${err.message}`, cause: err });
    settle();
  });
  const s = bonjour.publish({
    name: service.name,
    type: parsed.type,
    protocol: parsed.protocol,
    port: service.port,
    disableIPv6: true,
    probe: service.probe ?? true,
    ...(service.txt ? { txt: service.txt } : {}),
    ...(service.host ? { host: service.host } : {}),
    ...(service.subtypes ? { subtypes: service.subtypes } : {}),
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      failure ??= new TimeoutError({ operation: `mDNS publish "${service.name}" (not announced; is the name already in use?)`, afterMs: timeoutMs });
      settle();
    }, timeoutMs);
    const onAbort = (): void => {
      failure ??= new CanceledError(`mDNS publish ${service.name}: canceled`);
      settle();
    };
    settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      s.removeListener('up', settle);
      resolve();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    s.once('up', settle);
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= new Promise<void>((resolve) => s.stop(() => resolve())).then(() => destroy(bonjour)));
  if (failure) {
    await stop();
    throw failure;
  }
  return { name: s.name, fqdn: s.fqdn, port: s.port, stop };
}
