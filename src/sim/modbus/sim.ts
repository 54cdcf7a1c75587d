/**
 * A generic Modbus device simulator: a register store filled from a simulator map, live values
 * computed when a client reads them (no timers), served over Modbus TCP and/or Modbus RTU behind
 * a real pseudo-terminal path.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import { ModbusServer, RegisterStore, decodeEntry, encodeEntry, wordCount } from '../../protocols/modbus/index.js';
import type { ResolvedEntry } from '../../protocols/modbus/index.js';
import { serveOnPty } from '../pty.js';
import type { PtyServer } from '../pty.js';
import { DEFAULT_SIM_MAP, resolveSimMap } from './map.js';
import type { ResolvedSimMap, SimBehaviour, SimMap } from './map.js';

/** Options of {@link startModbusSim}. */
export interface ModbusSimOptions {
  /** Serve Modbus TCP on `HOST:PORT` (port 0 picks a free one; IPv6 as `[::1]:0`). */
  tcp?: string;
  /** Serve Modbus RTU behind a new pseudo-terminal. */
  pty?: boolean;
  /** Baud rate written into the RTU address (a pty ignores it); default 9600. */
  baud?: number;
  /** The map; default {@link DEFAULT_SIM_MAP}. */
  map?: SimMap;
  /** Clock in ms for the live values (tests); default performance.now. */
  clock?: () => number;
}

/** A running simulator. */
export interface ModbusSim {
  /** Address of the first transport, e.g. `modbus+tcp://127.0.0.1:5020?unit=1`. */
  readonly address: string;
  /** Addresses of every transport served (TCP first, then RTU). */
  readonly addresses: readonly string[];
  /** The simulated device's registers. */
  readonly store: RegisterStore;
  /** The server answering requests. */
  readonly server: ModbusServer;
  /** Read a named register in engineering units (live values are computed first). */
  get(name: string): number | boolean;
  /** Set a named register in engineering units, as the device itself would. */
  set(name: string, value: number | boolean): void;
  /** Stop serving and release the port and pty. Idempotent. */
  close(): Promise<void>;
}

interface Live {
  entry: ResolvedEntry;
  sim: SimBehaviour;
  /** follow: current output and when it was computed (ms). */
  y: number | boolean;
  at: number;
}

/** Split `HOST:PORT` (or `[v6]:PORT`); throws InvalidInputError. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new InvalidInputError({ what: '--tcp', value: text, reason: 'expected HOST:PORT, e.g. 127.0.0.1:5020 (port 0 picks a free one)' });
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Start a Modbus simulator; resolves once it is serving (default: TCP on 127.0.0.1, free port). */
export async function startModbusSim(options: ModbusSimOptions = {}): Promise<ModbusSim> {
  const map: ResolvedSimMap = resolveSimMap(options.map ?? DEFAULT_SIM_MAP);
  const store = new RegisterStore(map.tables);
  const byName = new Map<string, ResolvedEntry>();
  for (const { entry, value } of map.registers) {
    byName.set(entry.name, entry);
    writeEntry(store, entry, value);
  }
  const clock = options.clock ?? (() => performance.now());
  const t0 = clock();
  const live: Live[] = map.registers
    .filter((r) => r.sim !== undefined)
    .map((r) => {
      const sim = r.sim as SimBehaviour;
      const src = sim.kind === 'follow' ? map.registers.find((x) => x.entry.name === sim.source)?.value : undefined;
      return { entry: r.entry, sim, y: src ?? r.value, at: t0 };
    });

  const readEntry = (e: ResolvedEntry): number | boolean => {
    const n = wordCount(e.type);
    const raw = e.table === 'coil' || e.table === 'discrete' ? [store.getBit(e.table, e.address)] : Array.from({ length: n }, (_, i) => store.get(e.table, e.address + i));
    return decodeEntry(e, raw);
  };

  const update = (l: Live, now: number): void => {
    const t = (now - t0) / 1000;
    const s = l.sim;
    let v: number | boolean;
    switch (s.kind) {
      case 'sine':
        v = (s.mean ?? 0) + (s.amplitude ?? 1) * Math.sin((2 * Math.PI * t) / s.periodS + ((s.phaseDeg ?? 0) * Math.PI) / 180);
        break;
      case 'square':
        v = Math.floor(t / (s.periodS / 2)) % 2 === 1;
        break;
      case 'ramp':
        v = (s.start ?? 0) + (s.wrap ? (s.ratePerS * t) % s.wrap : s.ratePerS * t);
        break;
      case 'noise':
        v = (s.mean ?? 0) + (Math.random() * 2 - 1) * (s.amplitude ?? 1);
        break;
      case 'follow': {
        const x = readEntry(byName.get(s.source) as ResolvedEntry);
        const tau = s.tauS ?? 0;
        if (typeof x === 'boolean' || typeof l.y === 'boolean' || tau === 0) v = x;
        else v = l.y + (x - l.y) * (1 - Math.exp(-(now - l.at) / 1000 / tau));
        l.y = v;
        l.at = now;
        break;
      }
    }
    if (l.entry.type === 'bool') v = typeof v === 'boolean' ? v : v > 0;
    else if (typeof v === 'boolean') v = v ? 1 : 0;
    try {
      writeEntry(store, l.entry, v);
    } catch {
      // A behaviour that leaves the storage type's range (a badly sized map) keeps the last value.
    }
  };

  const overlaps = (e: ResolvedEntry, table: string, address: number, count: number): boolean =>
    e.table === table && e.address < address + count && e.address + wordCount(e.type) > address;
  if (live.length) {
    store.onRead((ev) => {
      const now = clock();
      for (const l of live) if (overlaps(l.entry, ev.table, ev.address, ev.count)) update(l, now);
    });
    // A follower integrates up to the moment its source changes, with the old source value.
    const followers = live.filter((l) => l.sim.kind === 'follow');
    if (followers.length) {
      store.beforeWrite((ev) => {
        const now = clock();
        for (const l of followers) {
          const src = byName.get((l.sim as { source: string }).source) as ResolvedEntry;
          if (overlaps(src, ev.table, ev.address, ev.values.length)) update(l, now);
        }
      });
    }
  }

  const server = new ModbusServer({ store: new Map([[map.unit, store]]) });
  const addresses: string[] = [];
  let pty: PtyServer | undefined;
  try {
    if (options.tcp !== undefined || !options.pty) {
      const { host, port } = parseHostPort(options.tcp ?? '127.0.0.1:0');
      const bound = await server.listenTcp({ host, port });
      const h = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
      addresses.push(`modbus+tcp://${h}:${bound.port}?unit=${map.unit}`);
    }
    if (options.pty) {
      pty = serveOnPty(server.rtuResponder());
      addresses.push(`modbus+rtu://${pty.devicePath}?baud=${options.baud ?? 9600}&unit=${map.unit}`);
    }
  } catch (err) {
    await server.close();
    pty?.close();
    throw err;
  }

  let closed = false;
  return {
    address: addresses[0] as string,
    addresses,
    store,
    server,
    get(name) {
      const e = byName.get(name);
      if (!e) throw new InvalidInputError({ what: 'modbus sim register', value: name, reason: 'is not in the map' });
      const now = clock();
      for (const l of live) if (l.entry === e) update(l, now);
      return readEntry(e);
    },
    set(name, value) {
      const e = byName.get(name);
      if (!e) throw new InvalidInputError({ what: 'modbus sim register', value: name, reason: 'is not in the map' });
      writeEntry(store, e, value);
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      pty?.close();
    },
  };
}

function writeEntry(store: RegisterStore, e: ResolvedEntry, value: number | boolean): void {
  const raw = encodeEntry(e, value);
  if (typeof raw === 'boolean') store.set(e.table, e.address, raw);
  else store.setMany(e.table, e.address, Array.from(raw));
}
