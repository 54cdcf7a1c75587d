/**
 * An in-memory Modbus data model: the four tables (holding registers, input registers, coils,
 * discrete inputs) of one unit, with the addresses that exist, and hooks for simulators.
 * Addresses are 0-based protocol addresses.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** The four Modbus tables. */
export type ModbusTable = 'holding' | 'input' | 'coil' | 'discrete';

/** All tables, in protocol order. */
export const MODBUS_TABLES: readonly ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

/** A write that arrived over the wire. */
export interface StoreWriteEvent {
  table: 'holding' | 'coil';
  address: number;
  /** Values as written: registers (0..65535) or coils. */
  values: ArrayLike<number> | ArrayLike<boolean>;
  /** Unit id the request carried. */
  unit: number;
}

/** A read about to be served over the wire. */
export interface StoreReadEvent {
  table: ModbusTable;
  address: number;
  count: number;
  unit: number;
}

/** Check or veto a wire write before it is applied: return a Modbus exception code to refuse it. */
export type BeforeWriteHook = (event: StoreWriteEvent) => number | void;

/** Sizes of the tables: addresses 0..n-1 exist. */
export type StoreLayout = Partial<Record<ModbusTable, number>>;

function isRegisterTable(t: ModbusTable): t is 'holding' | 'input' {
  return t === 'holding' || t === 'input';
}

/** Hold one unit's registers and bits; serve reads and writes; notify simulators. */
export class RegisterStore {
  private readonly data: Record<ModbusTable, Uint16Array | Uint8Array> = {
    holding: new Uint16Array(0x10000),
    input: new Uint16Array(0x10000),
    coil: new Uint8Array(0x10000),
    discrete: new Uint8Array(0x10000),
  };
  private readonly defined: Record<ModbusTable, Uint8Array> = {
    holding: new Uint8Array(0x10000),
    input: new Uint8Array(0x10000),
    coil: new Uint8Array(0x10000),
    discrete: new Uint8Array(0x10000),
  };
  private readonly computed: Record<ModbusTable, Map<number, (nowMs: number) => number | boolean>> = {
    holding: new Map(),
    input: new Map(),
    coil: new Map(),
    discrete: new Map(),
  };
  private readonly readHooks: Array<(e: StoreReadEvent) => void> = [];
  private readonly beforeWriteHooks: BeforeWriteHook[] = [];
  private readonly writeHooks: Array<(e: StoreWriteEvent) => void> = [];

  /** Make a store whose tables hold addresses 0..n-1 as given by `layout` (default: none). */
  constructor(layout: StoreLayout = {}) {
    for (const t of MODBUS_TABLES) {
      const n = layout[t];
      if (n !== undefined && n > 0) this.define(t, 0, n);
    }
  }

  /** Make addresses `address..address+count-1` of `table` exist (value 0 unless set). */
  define(table: ModbusTable, address: number, count = 1): this {
    checkRange(table, address, count);
    this.defined[table].fill(1, address, address + count);
    return this;
  }

  /** Tell whether every address of the range exists. */
  has(table: ModbusTable, address: number, count = 1): boolean {
    if (address < 0 || count < 1 || address + count > 0x10000) return false;
    const d = this.defined[table];
    for (let i = address; i < address + count; i++) if (d[i] === 0) return false;
    return true;
  }

  /** Read one register (0..65535) or bit (0/1) without hooks. */
  get(table: ModbusTable, address: number): number {
    checkRange(table, address, 1);
    return this.data[table][address] as number;
  }

  /** Read one bit as a boolean without hooks. */
  getBit(table: 'coil' | 'discrete', address: number): boolean {
    return this.get(table, address) !== 0;
  }

  /** Set one register (integer 0..65535; negatives down to -32768 are stored as two's complement) or bit. */
  set(table: ModbusTable, address: number, value: number | boolean): this {
    checkRange(table, address, 1);
    this.defined[table][address] = 1;
    this.data[table][address] = encodeCell(table, value);
    return this;
  }

  /** Set consecutive registers or bits starting at `address`. */
  setMany(table: ModbusTable, address: number, values: ReadonlyArray<number | boolean>): this {
    checkRange(table, address, Math.max(1, values.length));
    for (let i = 0; i < values.length; i++) this.set(table, address + i, values[i] as number | boolean);
    return this;
  }

  /** Compute a cell at each wire read (e.g. a sine on an input register); `fn` gets performance.now(). */
  compute(table: ModbusTable, address: number, fn: (nowMs: number) => number | boolean): () => void {
    this.define(table, address, 1);
    this.computed[table].set(address, fn);
    return () => this.computed[table].delete(address);
  }

  /** Call `hook` before each wire read (to refresh values); returns an unsubscribe function. */
  onRead(hook: (e: StoreReadEvent) => void): () => void {
    return addHook(this.readHooks, hook);
  }

  /** Call `hook` before each wire write; a returned exception code refuses it. Returns unsubscribe. */
  beforeWrite(hook: BeforeWriteHook): () => void {
    return addHook(this.beforeWriteHooks, hook);
  }

  /** Call `hook` after each wire write was applied; returns an unsubscribe function. */
  onWrite(hook: (e: StoreWriteEvent) => void): () => void {
    return addHook(this.writeHooks, hook);
  }

  /** Serve a wire read: run hooks and computed cells, return registers or bits (caller checked `has`). */
  wireRead(table: ModbusTable, address: number, count: number, unit: number): Uint16Array | boolean[] {
    if (this.readHooks.length) {
      const e = { table, address, count, unit };
      for (const h of this.readHooks) h(e);
    }
    const comp = this.computed[table];
    if (comp.size) {
      const now = performance.now();
      for (let i = address; i < address + count; i++) {
        const fn = comp.get(i);
        if (fn) this.data[table][i] = encodeCell(table, fn(now));
      }
    }
    const d = this.data[table];
    if (isRegisterTable(table)) return (d as Uint16Array).slice(address, address + count);
    const out = new Array<boolean>(count);
    for (let i = 0; i < count; i++) out[i] = d[address + i] !== 0;
    return out;
  }

  /** Serve a wire write: ask the veto hooks, apply, notify. Returns 0 or a Modbus exception code. */
  wireWrite(table: 'holding' | 'coil', address: number, values: ArrayLike<number> | ArrayLike<boolean>, unit: number): number {
    const e: StoreWriteEvent = { table, address, values, unit };
    for (const h of this.beforeWriteHooks) {
      const code = h(e);
      if (code) return code;
    }
    const d = this.data[table];
    for (let i = 0; i < values.length; i++) d[address + i] = encodeCell(table, values[i] as number | boolean);
    for (const h of this.writeHooks) h(e);
    return 0;
  }
}

function addHook<H>(list: H[], hook: H): () => void {
  list.push(hook);
  return () => {
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
  };
}

function checkRange(table: ModbusTable, address: number, count: number): void {
  if (!(table in { holding: 1, input: 1, coil: 1, discrete: 1 })) {
    throw new InvalidInputError({ what: 'modbus table', value: table, reason: "must be 'holding', 'input', 'coil' or 'discrete'" });
  }
  if (!Number.isInteger(address) || !Number.isInteger(count) || address < 0 || count < 1 || address + count > 0x10000) {
    throw new InvalidInputError({ what: `modbus ${table} address`, value: address, reason: `range of ${count} must lie within 0..65535` });
  }
}

function encodeCell(table: ModbusTable, value: number | boolean): number {
  if (!isRegisterTable(table)) return value ? 1 : 0;
  const v = typeof value === 'boolean' ? Number(value) : Math.round(value);
  if (!Number.isFinite(v) || v < -0x8000 || v > 0xffff) {
    throw new InvalidInputError({ what: `modbus ${table} value`, value, reason: 'must be an integer -32768..65535' });
  }
  return v & 0xffff;
}
