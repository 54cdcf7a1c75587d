/**
 * The GamryCOM object model as labrig uses it: ONE small interface that the Windows COM backend
 * (`winax.ts`) and the in-process simulator (`labrig/sim` gamry) both implement, with GamryCOM's
 * own ProgIDs, method names and argument orders (Gamry Electrochemistry Toolkit; HELAO's comtypes
 * driver, `../shared/reference/gamry.md`). Methods are called as methods (`State()`, not
 * properties); out-parameters come back as comtypes returns them (`Cook(n)` → `[count, columns]`,
 * columns column-major, each `count` long). Types only.
 * @module
 */

/** Enumeration constants of the GamryCOM type library used by the driver. */
export interface GamryConstants {
  readonly CellOff: number;
  readonly CellOn: number;
  readonly PstatMode: number;
  readonly GstatMode: number;
  readonly ChronoAmp: number;
  readonly ChronoPot: number;
  readonly ReadZSpeedNorm: number;
  readonly ReadZStatusOk: number;
  readonly ReadZStatusRetry: number;
}

/** `GamryCOM.GamryDeviceList`. */
export interface IGamryDeviceList {
  Count(): number;
  EnumSections(): string[];
  Label(index: number): string;
}

/** `GamryCOM.GamryPC6Pstat` / `GamryPC5Pstat` / `GamryPstat`. */
export interface IGamryPstat {
  Init(section: string): void;
  Open(): void;
  Close(): void;
  TestIsOpen(): boolean;
  State(): string;
  SetCell(state: number): void;
  SetCtrlMode(mode: number): void;
  SetIERangeMode(auto: boolean): void;
  SetIERange(amps: number): void;
  TestIERange(amps: number): number;
  SetSignal(signal: IGamrySignal): void;
  SetVoltage(volts: number): void;
  MeasureV(): number;
  MeasureI(): number;
}

/** A signal object (`GamrySignalConst`, `GamrySignalRamp`, `GamrySignalRupdn`, `GamrySignalArray`): `Init(pstat, ...)`. */
export interface IGamrySignal {
  Init(pstat: IGamryPstat, ...args: Array<number | boolean | number[]>): void;
}

/** A dtaq (`GamryDtaqOcv`, `GamryDtaqChrono`, `GamryDtaqCpiv`, `GamryDtaqRcv`). */
export interface IGamryDtaq {
  Init(pstat: IGamryPstat, ...args: number[]): void;
  Run(go: boolean): void;
  /** Up to `max` points taken out of the dtaq: `[count, columns]`, each column `count` long. */
  Cook(max: number): [number, number[][]];
}

/** `GamryCOM.GamryReadZ` (one EIS frequency per Measure). */
export interface IGamryReadZ {
  Init(pstat: IGamryPstat): void;
  SetSpeed(speed: number): void;
  SetZmod(ohms: number): void;
  SetIdc(amps: number): void;
  Measure(freqHz: number, amplitudeV: number): void;
  Zfreq(): number;
  Zreal(): number;
  Zimag(): number;
  Vdc(): number;
  Idc(): number;
}

/** Connection-point sinks (`_IGamryDtaqEvents_*`, `_IGamryReadZEvents_*`). */
export interface GamryDtaqSink {
  OnDataAvailable?(): void;
  OnDataDone?(): void;
}
/** ReadZ events: `OnDataDone(this, status)`. */
export interface GamryReadZSink {
  OnDataAvailable?(self: IGamryReadZ): void;
  OnDataDone?(self: IGamryReadZ, status: number): void;
}

/** What a backend gives the driver. */
export interface GamryCom {
  /** `CreateObject("GamryCOM.<name>")`. */
  create(progId: 'GamryCOM.GamryDeviceList'): IGamryDeviceList;
  create(progId: 'GamryCOM.GamryPC6Pstat' | 'GamryCOM.GamryPC5Pstat' | 'GamryCOM.GamryPstat'): IGamryPstat;
  create(progId: 'GamryCOM.GamrySignalConst' | 'GamryCOM.GamrySignalRamp' | 'GamryCOM.GamrySignalRupdn' | 'GamryCOM.GamrySignalArray'): IGamrySignal;
  create(progId: 'GamryCOM.GamryDtaqOcv' | 'GamryCOM.GamryDtaqChrono' | 'GamryCOM.GamryDtaqCpiv' | 'GamryCOM.GamryDtaqRcv'): IGamryDtaq;
  create(progId: 'GamryCOM.GamryReadZ'): IGamryReadZ;
  /** Attach a sink to an object's connection point (`GetEvents`); returns the detach function. */
  advise(obj: IGamryDtaq, sink: GamryDtaqSink): () => void;
  advise(obj: IGamryReadZ, sink: GamryReadZSink): () => void;
  /** Type-library constants. */
  readonly constants: GamryConstants;
  /** Release the binding (COM: uninitialise; sim: stop timers). */
  release(): void;
}

/** Dtaq column layouts (index of each named column), from HELAO's output keys. */
export const COLUMNS = {
  GamryDtaqOcv: ['T', 'Vf', 'Vm', 'Vsig', 'Ach', 'Overload', 'StopTest'],
  GamryDtaqChrono: ['T', 'Vf', 'Vu', 'Im', 'Vsig', 'Ach', 'IERange', 'Overload', 'StopTest'],
  GamryDtaqCpiv: ['T', 'Vf', 'Vu', 'Im', 'Vsig', 'Ach', 'IERange', 'Overload', 'StopTest'],
  GamryDtaqRcv: ['T', 'Vf', 'Vu', 'Im', 'Vsig', 'Ach', 'IERange', 'Overload', 'StopTest', 'Cycle'],
} as const;

/** Column index of `name` in dtaq `progName`'s Cook output. */
export function col(progName: keyof typeof COLUMNS, name: string): number {
  return (COLUMNS[progName] as readonly string[]).indexOf(name);
}

/** Overload bits of the Gamry `Overload` column as the simulator writes them (current 0x2, potential 0x4; hardware bit meanings not verified). */
export const GAMRY_OVERLOAD_I = 0x2;
/** Potential/compliance overload bit. */
export const GAMRY_OVERLOAD_V = 0x4;

const inProcess = new Map<string, GamryCom>();
let nextId = 1;

/**
 * Offer an in-process binding (the simulator's) under a fresh id for `gamry://<section>?binding=<id>`;
 * returns the id and the function that withdraws it. An explicit call, never an import side effect.
 */
export function offerBinding(com: GamryCom): { id: string; withdraw(): void } {
  const id = `inproc-${nextId++}`;
  inProcess.set(id, com);
  return { id, withdraw: () => void inProcess.delete(id) };
}

/** The in-process binding offered under `id`, or undefined. */
export function offeredBinding(id: string): GamryCom | undefined {
  return inProcess.get(id);
}
