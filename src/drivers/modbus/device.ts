/**
 * A generic Modbus device declared from a register map: one signal per map entry (SignalRW for
 * writable holding registers and coils, SignalR for the rest), all of them readables, on one
 * {@link RegisterBus}. Registers the map does not name are reached by address with
 * {@link ModbusDevice.register} (`hr/0:float32`, `ir/2`, `co/1`, `di/0`), which is what
 * `labrig read modbus+tcp://... hr/0` uses.
 * @module
 */
import type { Device } from '../../core/device/device.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import { InvalidInputError } from '../../core/errors.js';
import type { RegisterBus } from '../../protocols/contracts.js';
import { registerMapSignals, type RegisterSignals } from '../../protocols/modbus/backend.js';
import type { RegisterEntry, RegisterMap, RegisterType } from '../../protocols/modbus/register-map.js';
import type { ModbusTable } from '../../protocols/modbus/store.js';
import { refusingTransport } from '../shared/refusing.js';

/** Options of a {@link ModbusDevice}. */
export interface ModbusDeviceOptions {
  /** Poll period of subscribed signals, ms. Default 1000. */
  pollMs?: number;
  /** Limit of each request, ms. Default: the bus's. */
  timeoutMs?: number;
}

const TABLES: Readonly<Record<string, ModbusTable>> = { hr: 'holding', holding: 'holding', ir: 'input', input: 'input', co: 'coil', coil: 'coil', di: 'discrete', discrete: 'discrete' };
const PATH_RE = /^([a-z]+)\/(\d{1,5})(?::(int16|uint16|int32|uint32|float32|bool))?$/;

/** Parse a register path (`hr/0:float32`) into a map entry, or undefined when `path` is not one. */
export function registerPath(path: string): RegisterEntry | undefined {
  const m = PATH_RE.exec(path.trim());
  const table = m ? TABLES[m[1]!] : undefined;
  if (!m || !table) return undefined;
  const entry: RegisterEntry = { name: path.trim().replace(/[/:]/g, '_'), table, address: Number(m[2]) };
  if (m[3]) entry.type = m[3] as RegisterType;
  return entry;
}

/** A bus that refuses every request: the transport of a device built for the mock tier. */
const NO_BUS = refusingTransport<RegisterBus>('bus', 'mock', [
  'readHolding', 'readInput', 'readCoils', 'readDiscrete', 'writeSingle', 'writeMultiple', 'writeCoil', 'writeCoils',
] satisfies Array<keyof RegisterBus>);

/** A Modbus device from a register map (see the module notes). */
export class ModbusDevice extends StandardReadable {
  /** The map's signals by entry name. */
  readonly signals: Readonly<RegisterSignals>;
  readonly #bus: RegisterBus;
  readonly #options: ModbusDeviceOptions;
  readonly #release: (() => Promise<void>) | undefined;

  /** Build the device over `bus` (none: for `connect({ mock: true })`); `release` frees what its opener took (the bus), run by `close()`. */
  constructor(name: string, bus: RegisterBus | undefined, map: RegisterMap, options: ModbusDeviceOptions = {}, release?: () => Promise<void>) {
    super(name);
    this.#bus = bus ?? NO_BUS;
    this.#options = options;
    this.#release = release;
    this.signals = registerMapSignals(this.#bus, map, options);
    this.addReadables(Object.values(this.signals), 'read');
    this.setName(name);
  }

  protected override childEntries(): Iterable<[string, unknown]> {
    return [...Object.entries(this), ...Object.entries(this.signals)];
  }

  /**
   * Return a connected signal for a register the map does not name: `hr/0` (holding, uint16),
   * `ir/2:float32`, `co/1`, `di/0`; InvalidInputError for anything else.
   */
  async register(path: string): Promise<Device> {
    const entry = registerPath(path);
    if (!entry) throw new InvalidInputError({ what: `${this.name} register`, value: path, reason: 'expected TABLE/ADDRESS[:TYPE], TABLE hr|ir|co|di, TYPE int16|uint16|int32|uint32|float32|bool (e.g. hr/0:float32)' });
    const sig = Object.values(registerMapSignals(this.#bus, [{ ...entry, name: `${this.name}-${entry.name}` }], this.#options))[0]!;
    await sig.connect();
    return sig;
  }

  /** Stop every signal's polling, then release the bus (closed when this device's opener opened it). */
  async close(): Promise<void> {
    for (const s of Object.values(this.signals)) s.backend.setCallback?.(undefined);
    await this.#release?.();
  }
}
