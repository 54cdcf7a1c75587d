/**
 * A deterministic, scriptable fault injector for byte streams: drop, garble, duplicate, delay,
 * split, disconnect, go silent, restart. It decides per chunk (a reply, usually) from a seeded
 * PRNG or a script (`next('garble')`), and a `FaultPipe` carries the decisions out in order.
 * Use it three ways: `withFaults(stream)` wraps a ByteStream (faults on incoming bytes),
 * `faultProxy()` sits between a TCP client and server, and `serveOnPty(..., { faults })` sits in
 * front of a pty responder.
 *
 * Spec strings (for the CLI): comma-separated `kind[:x][@p]`, where `@p` is the probability per
 * chunk (default 1) and `x` is the probability for drop/garble/duplicate/disconnect, or a duration
 * in ms for delay (delay amount), split (gap between pieces), silent (how long) and restart
 * (downtime). Examples: `garble:0.1,delay:50`, `drop:0.05,silent:500@0.01`, `split:5@0.5`.
 * @module
 */
import net from 'node:net';
import { DisconnectedError, InvalidInputError } from '../core/errors.js';
import type { ByteStream, Unsubscribe, WaitOptions } from '../protocols/contracts.js';

/** The faults the injector knows. */
export type FaultKind = 'drop' | 'garble' | 'duplicate' | 'delay' | 'split' | 'disconnect' | 'silent' | 'restart';

/** All fault kinds, in a stable order. */
export const FAULT_KINDS: readonly FaultKind[] = ['drop', 'garble', 'duplicate', 'delay', 'split', 'disconnect', 'silent', 'restart'];

/** One random rule: apply `kind` to a chunk with `probability`; `ms` is its duration if any. */
export interface FaultRule {
  kind: FaultKind;
  probability: number;
  ms?: number;
}

/** What to do with one chunk. */
export interface FaultAction {
  kind: FaultKind | 'pass';
  /** Duration for delay, split gap, silent and restart, in milliseconds. */
  ms: number;
}

/** Options of a FaultInjector. */
export interface FaultInjectorOptions {
  /** PRNG seed; the same seed and chunks give the same faults. Default 1. */
  seed?: number;
  /** Random rules, as a spec string or a list. Default none (only scripted faults). */
  rules?: string | FaultRule[];
  /** Default durations, in milliseconds. */
  delayMs?: number;
  splitGapMs?: number;
  silentMs?: number;
  restartMs?: number;
}

const TIMED: ReadonlySet<FaultKind> = new Set(['delay', 'split', 'silent', 'restart']);

/** Parse a fault spec string (see the module notes); throws InvalidInputError naming the bad item. */
export function parseFaultSpec(spec: string): FaultRule[] {
  if (typeof spec !== 'string') throw new InvalidInputError({ what: 'fault spec', value: spec, reason: 'must be a string' });
  const rules: FaultRule[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const m = /^([a-z]+)(?::([0-9.]+))?(?:@([0-9.]+))?$/.exec(item);
    if (!m) throw new InvalidInputError({ what: 'fault spec item', value: item, reason: 'expected kind[:x][@p], e.g. garble:0.1 or delay:50' });
    const kind = m[1] as FaultKind;
    if (!FAULT_KINDS.includes(kind)) throw new InvalidInputError({ what: 'fault kind', value: kind, reason: `must be one of ${FAULT_KINDS.join(', ')}` });
    const x = m[2] === undefined ? undefined : Number(m[2]);
    const at = m[3] === undefined ? undefined : Number(m[3]);
    for (const [name, v] of [['x', x], ['@p', at]] as const) {
      if (v !== undefined && !Number.isFinite(v)) throw new InvalidInputError({ what: `fault ${kind} ${name}`, value: item, reason: 'not a number' });
    }
    const rule: FaultRule = { kind, probability: at ?? 1 };
    if (TIMED.has(kind)) {
      if (x !== undefined) rule.ms = x;
    } else if (x !== undefined && at === undefined) {
      rule.probability = x;
    }
    if (!(rule.probability >= 0 && rule.probability <= 1)) throw new InvalidInputError({ what: `fault ${kind} probability`, value: rule.probability, reason: 'must lie in 0..1' });
    rules.push(rule);
  }
  return rules;
}

/** Decide faults per chunk, from a script first, then from seeded random rules. */
export class FaultInjector {
  /** How many times each fault was applied. */
  readonly counts: Record<FaultKind | 'pass', number> = { pass: 0, drop: 0, garble: 0, duplicate: 0, delay: 0, split: 0, disconnect: 0, silent: 0, restart: 0 };
  private readonly rules: FaultRule[];
  private readonly script: FaultAction[] = [];
  private readonly defaults: Record<FaultKind, number>;
  private state: number;

  constructor(options: FaultInjectorOptions = {}) {
    this.state = (options.seed ?? 1) >>> 0;
    this.rules = typeof options.rules === 'string' ? parseFaultSpec(options.rules) : [...(options.rules ?? [])];
    for (const r of this.rules) {
      if (!FAULT_KINDS.includes(r.kind)) throw new InvalidInputError({ what: 'fault kind', value: r.kind, reason: `must be one of ${FAULT_KINDS.join(', ')}` });
    }
    this.defaults = {
      drop: 0, garble: 0, duplicate: 0, disconnect: 0,
      delay: options.delayMs ?? 50, split: options.splitGapMs ?? 5, silent: options.silentMs ?? 500, restart: options.restartMs ?? 200,
    };
  }

  /** Draw a number in [0, 1) from the seeded PRNG (mulberry32). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Script a fault for the next chunk (scripted faults run in order, before random rules). */
  next(kind: FaultKind | 'pass', ms?: number): this {
    if (kind !== 'pass' && !FAULT_KINDS.includes(kind)) throw new InvalidInputError({ what: 'fault kind', value: kind, reason: `must be one of ${FAULT_KINDS.join(', ')}` });
    this.script.push({ kind, ms: ms ?? (kind === 'pass' ? 0 : this.defaults[kind]) });
    return this;
  }

  /** Number of scripted faults not yet used. */
  get scripted(): number {
    return this.script.length;
  }

  /** Decide what happens to the next chunk. */
  decide(): FaultAction {
    let a = this.script.shift();
    if (!a) {
      for (const r of this.rules) {
        if (r.probability > 0 && this.random() < r.probability) {
          a = { kind: r.kind, ms: r.ms ?? this.defaults[r.kind] };
          break;
        }
      }
    }
    a ??= { kind: 'pass', ms: 0 };
    this.counts[a.kind]++;
    return a;
  }

  /** Return a copy of `chunk` with 1 to 3 bytes flipped. */
  garble(chunk: Uint8Array): Uint8Array {
    const out = Uint8Array.from(chunk);
    if (out.length === 0) return out;
    const n = 1 + Math.floor(this.random() * 3);
    for (let k = 0; k < n; k++) {
      const i = Math.floor(this.random() * out.length);
      out[i] = out[i]! ^ (1 + Math.floor(this.random() * 255));
    }
    return out;
  }

  /** Return 2 to 4 pieces of `chunk`, cut at random places. */
  split(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length < 2) return [chunk];
    const cuts = new Set<number>();
    const n = 1 + Math.floor(this.random() * Math.min(3, chunk.length - 1));
    while (cuts.size < n) cuts.add(1 + Math.floor(this.random() * (chunk.length - 1)));
    const at = [0, ...[...cuts].sort((a, b) => a - b), chunk.length];
    const out: Uint8Array[] = [];
    for (let k = 0; k + 1 < at.length; k++) out.push(chunk.subarray(at[k], at[k + 1]));
    return out;
  }
}

/** What a FaultPipe does for disconnect and restart, and where it delivers bytes. */
export interface FaultHooks {
  deliver(chunk: Uint8Array): void;
  disconnect(): void;
  restart(downMs: number): void;
}

/** Carry an injector's decisions out on a flow of chunks, keeping their order. */
export class FaultPipe {
  private readonly injector: FaultInjector;
  private readonly hooks: FaultHooks;
  private readonly queue: Array<{ at: number; chunk: Uint8Array }> = [];
  private timer: NodeJS.Timeout | undefined;
  private silentUntil = 0;
  private disposed = false;

  constructor(injector: FaultInjector, hooks: FaultHooks) {
    this.injector = injector;
    this.hooks = hooks;
  }

  /** True when nothing waits for delivery. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Apply the next decision to a chunk. */
  push(chunk: Uint8Array): void {
    if (this.disposed) return;
    const now = performance.now();
    if (now < this.silentUntil) return;
    const a = this.injector.decide();
    switch (a.kind) {
      case 'pass':
        return this.enqueue(now, chunk);
      case 'drop':
        return;
      case 'garble':
        return this.enqueue(now, this.injector.garble(chunk));
      case 'duplicate':
        this.enqueue(now, chunk);
        return this.enqueue(now, chunk);
      case 'delay':
        return this.enqueue(now + a.ms, chunk);
      case 'split': {
        let t = now;
        for (const piece of this.injector.split(chunk)) {
          this.enqueue(t, piece);
          t += a.ms;
        }
        return;
      }
      case 'silent':
        this.silentUntil = now + a.ms;
        return;
      case 'disconnect':
        this.clear();
        return this.hooks.disconnect();
      case 'restart':
        this.clear();
        return this.hooks.restart(a.ms);
    }
  }

  private enqueue(at: number, chunk: Uint8Array): void {
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1]!.at : 0;
    const when = Math.max(at, last);
    if (this.queue.length === 0 && when <= performance.now()) {
      this.hooks.deliver(chunk);
      return;
    }
    this.queue.push({ at: when, chunk });
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(this.flush, Math.max(0, this.queue[0]!.at - performance.now()));
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.5 && !this.disposed) {
      this.hooks.deliver(this.queue.shift()!.chunk);
    }
    this.arm();
  };

  private clear(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Drop pending chunks and timers; later pushes are ignored. */
  dispose(): void {
    this.disposed = true;
    this.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Wrapping a ByteStream

/** Wrap a ByteStream so its incoming bytes suffer the injector's faults. */
export function withFaults(stream: ByteStream, injector: FaultInjector): ByteStream & { dispose(): void } {
  return new FaultyStream(stream, injector);
}

class FaultyStream implements ByteStream {
  readonly address: string;
  private readonly inner: ByteStream;
  private readonly injector: FaultInjector;
  private readonly data = new Set<(chunk: Uint8Array) => void>();
  private readonly closes = new Set<(reason: Error | undefined) => void>();
  private readonly unsubs: Unsubscribe[];
  private pipe: FaultPipe | undefined;
  private injected: Error | undefined;
  private downUntil = 0;

  constructor(inner: ByteStream, injector: FaultInjector) {
    this.inner = inner;
    this.injector = injector;
    this.address = inner.address;
    this.unsubs = [
      inner.onData((chunk) => this.pipe?.push(chunk)),
      inner.onClose((reason) => {
        this.pipe?.dispose();
        this.pipe = undefined;
        const r = this.injected ?? reason;
        this.injected = undefined;
        for (const l of [...this.closes]) l(r);
      }),
    ];
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  async open(options?: WaitOptions): Promise<void> {
    if (performance.now() < this.downUntil) throw new DisconnectedError({ device: this.address, detail: 'device is restarting (injected fault)' });
    await this.inner.open(options);
    this.pipe ??= new FaultPipe(this.injector, {
      deliver: (chunk) => {
        for (const l of this.data) l(chunk);
      },
      disconnect: () => this.drop('link dropped (injected fault)', 0),
      restart: (ms) => this.drop('device restarted (injected fault)', ms),
    });
  }

  private drop(why: string, downMs: number): void {
    this.downUntil = performance.now() + downMs;
    this.injected = new DisconnectedError({ device: this.address, detail: why });
    void this.inner.close();
  }

  write(bytes: Uint8Array): void {
    this.inner.write(bytes);
  }

  onData(listener: (chunk: Uint8Array) => void): Unsubscribe {
    this.data.add(listener);
    return () => this.data.delete(listener);
  }

  onClose(listener: (reason: Error | undefined) => void): Unsubscribe {
    this.closes.add(listener);
    return () => this.closes.delete(listener);
  }

  close(): Promise<void> {
    this.pipe?.dispose();
    this.pipe = undefined;
    return this.inner.close();
  }

  dispose(): void {
    for (const u of this.unsubs) u();
  }
}

// ---------------------------------------------------------------------------------------------
// TCP proxy

/** A TCP proxy with faults on the server-to-client direction. */
export interface FaultProxy {
  /** `tcp://HOST:PORT` of the proxy. */
  readonly address: string;
  readonly port: number;
  /** Drop every client connection now. */
  disconnectAll(): void;
  /** Drop every connection and stop listening for `downMs` ms (connects are refused), then listen again. */
  restart(downMs: number): void;
  /** Stop listening and drop every connection. */
  close(): Promise<void>;
}

/** Listen on loopback and forward to `target`, injecting faults into the replies. */
export async function faultProxy(target: { host: string; port: number }, injector: FaultInjector, listen: { host?: string; port?: number } = {}): Promise<FaultProxy> {
  const conns = new Set<{ client: net.Socket; upstream: net.Socket; pipe: FaultPipe }>();
  let downTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const dropAll = (): void => {
    for (const c of conns) {
      c.pipe.dispose();
      c.client.destroy();
      c.upstream.destroy();
    }
    conns.clear();
  };
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.createConnection({ host: target.host, port: target.port, noDelay: true });
    const pipe = new FaultPipe(injector, {
      deliver: (chunk) => {
        if (!client.destroyed) client.write(chunk);
      },
      disconnect: () => end(),
      restart: (ms) => restart(ms),
    });
    const c = { client, upstream, pipe };
    conns.add(c);
    const end = (): void => {
      pipe.dispose();
      client.destroy();
      upstream.destroy();
      conns.delete(c);
    };
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => pipe.push(d));
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  const host = listen.host ?? '127.0.0.1';
  const start = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await start(listen.port ?? 0);
  const port = (server.address() as net.AddressInfo).port;
  const restart = (ms: number): void => {
    if (closed || downTimer) return;
    dropAll();
    server.close();
    downTimer = setTimeout(() => {
      downTimer = undefined;
      if (!closed) start(port).catch(() => {}); // the port was taken meanwhile: stay down
    }, ms);
  };
  return {
    address: `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    disconnectAll: dropAll,
    restart,
    close() {
      closed = true;
      if (downTimer) clearTimeout(downTimer);
      downTimer = undefined;
      dropAll();
      return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}
