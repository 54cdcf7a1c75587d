/**
 * An in-process simulator of the GamryCOM object model: the same ProgIDs, method names, argument
 * orders, Cook() column layouts and event order as GamryCOM (see `../shared/reference/gamry.md`),
 * measuring a cell of `src/sim/electrochem`. Time runs `speed` times faster than the wall clock.
 * Every call is appended to `calls` (`pstat.SetCell(1)`), so tests can read the exact sequence.
 * Faults: `disconnect()` makes every later call throw a COM-style error (the instrument was
 * unplugged) and stops the events.
 * @module
 */
import { InvalidInputError, InvalidStateError } from '../../core/errors.js';
import type {
  GamryCom, GamryConstants, GamryDtaqSink, GamryReadZSink, IGamryDeviceList, IGamryDtaq, IGamryPstat, IGamryReadZ, IGamrySignal,
} from '../../drivers/gamry/protocol.js';
import { GAMRY_OVERLOAD_I, GAMRY_OVERLOAD_V } from '../../drivers/gamry/protocol.js';
import { checkCell, ElectrochemCell, type CellParams } from '../electrochem/model.js';

/** Constants of the simulated type library (numbers as GamryCOM's enums). */
export const SIM_CONSTANTS: GamryConstants = {
  CellOff: 0, CellOn: 1, PstatMode: 1, GstatMode: 2, ChronoAmp: 0, ChronoPot: 1, ReadZSpeedNorm: 1, ReadZStatusOk: 0, ReadZStatusRetry: 1,
};

/** Options of the simulated object model. */
export interface GamrySimOptions {
  /** Device sections the device list reports (default `['IFC1010-12345']`). */
  sections?: string[];
  /** Cell model parameters (defaults of `checkCell`). */
  cell?: Parameters<typeof checkCell>[0];
  /** Simulated seconds per wall-clock second (default 1). */
  speed?: number;
  /** Wall-clock tick of the acquisition, ms (default 20). */
  tickMs?: number;
  /** Potential compliance of the control amplifier, V (default 10). */
  complianceV?: number;
}

/** A COM error as the binding reports it: message and HRESULT. */
export class SimComError extends Error {
  constructor(readonly hresult: number, message: string) {
    super(message);
    this.name = 'ComError';
  }
}
/** RPC_E_DISCONNECTED: the object invoked has disconnected from its clients. */
export const RPC_E_DISCONNECTED = 0x80010108 | 0;

type Signal = { type: 'Const' | 'Ramp' | 'Rupdn' | 'Array'; args: number[] };

/** The simulated binding (a {@link GamryCom} with test doors). */
export interface GamrySimCom extends GamryCom {
  /** Every call made, in order: `Object.Method(args)`. */
  readonly calls: string[];
  /** The cell model. */
  readonly cell: ElectrochemCell;
  /** Unplug the instrument: later calls throw, no more events. */
  disconnect(): void;
}

/** Create a simulated GamryCOM binding. */
export function createGamrySim(options: GamrySimOptions = {}): GamrySimCom {
  const sections = options.sections ?? ['IFC1010-12345'];
  const speed = options.speed ?? 1;
  if (!(speed > 0 && Number.isFinite(speed))) throw new InvalidInputError({ what: 'gamry sim speed', value: speed, reason: 'must be > 0' });
  const tickMs = options.tickMs ?? 20;
  const compliance = options.complianceV ?? 10;
  const params: CellParams = checkCell(options.cell);
  const cell = new ElectrochemCell(params);
  const calls: string[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let connected = true;
  const C = SIM_CONSTANTS;
  const fmt = (a: unknown): string => (typeof a === 'object' && a !== null && !Array.isArray(a) ? (a as { __name?: string }).__name ?? 'obj' : Array.isArray(a) ? `[${a.join(',')}]` : String(a));
  const log = (obj: string, m: string, args: unknown[]): void => {
    calls.push(`${obj}.${m}(${args.map(fmt).join(', ')})`);
    if (!connected) throw new SimComError(RPC_E_DISCONNECTED, 'The object invoked has disconnected from its clients.');
  };
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (connected) fn();
    }, ms);
    timers.add(t);
  };

  // instrument state
  let open = false;
  let section = '';
  let cellOn = false;
  let mode = C.PstatMode;
  let ieAuto = true;
  let ieRange = 1;
  let signal: Signal | undefined;
  let eApplied = params.ocv.e;
  let iNow = 0;
  const t0 = performance.now();
  const simNow = (): number => ((performance.now() - t0) / 1000) * speed;

  const pstat: IGamryPstat & { __name: string } = {
    __name: 'pstat',
    Init(s) { log('pstat', 'Init', [s]); if (!sections.includes(s)) throw new SimComError(0x80004005 | 0, `no Gamry device section ${s}`); section = s; },
    Open() { log('pstat', 'Open', []); if (!section) throw new SimComError(0x80004005 | 0, 'Init was not called'); open = true; },
    Close() { log('pstat', 'Close', []); open = false; },
    TestIsOpen() { log('pstat', 'TestIsOpen', []); return open; },
    State() { log('pstat', 'State', []); return `Cell ${cellOn ? 'On' : 'Off'}; Mode ${mode === C.PstatMode ? 'Pstat' : 'Gstat'}; IERange ${ieAuto ? 'Auto' : ieRange}`; },
    SetCell(v) { log('pstat', 'SetCell', [v]); cellOn = v === C.CellOn; },
    SetCtrlMode(m) { log('pstat', 'SetCtrlMode', [m]); mode = m; },
    SetIERangeMode(a) { log('pstat', 'SetIERangeMode', [a]); ieAuto = a; },
    SetIERange(a) { log('pstat', 'SetIERange', [a]); ieRange = a; },
    TestIERange(a) { log('pstat', 'TestIERange', [a]); return Math.max(0, Math.ceil(Math.log10(Math.abs(a) || 1e-12) + 11)); },
    SetSignal(s) { log('pstat', 'SetSignal', [s]); signal = (s as unknown as { __sig: Signal }).__sig; },
    SetVoltage(v) { log('pstat', 'SetVoltage', [v]); eApplied = v; },
    MeasureV() { log('pstat', 'MeasureV', []); return cellOn ? eApplied : cell.ocv(simNow()); },
    MeasureI() { log('pstat', 'MeasureI', []); return cellOn ? iNow : 0; },
  };

  const limitI = (i: number): [number, number] => (!ieAuto && Math.abs(i) > ieRange ? [Math.sign(i) * ieRange, GAMRY_OVERLOAD_I] : [i, 0]);

  /** Points of the running technique as rows (column order of the dtaq). */
  function rows(kind: string, dtaqArgs: number[]): number[][] {
    if (!signal) throw new SimComError(0x80004005 | 0, 'no signal set (pstat.SetSignal)');
    const s = signal;
    const out: number[][] = [];
    if (s.type === 'Const') {
      const [sval, tval, dt] = s.args as [number, number, number];
      const n = Math.floor(tval / dt + 1e-9);
      for (let k = 1; k <= n; k++) {
        const t = k * dt;
        if (kind === 'GamryDtaqOcv') {
          const e = cell.ocv(t);
          out.push([t, e, e, sval, 0, 0, 0]);
        } else if (dtaqArgs[0] === C.ChronoPot) {
          const e = cell.chronopotential(sval, t);
          const over = e === undefined || Math.abs(e) > compliance;
          const ev = over ? Math.sign(sval || 1) * compliance : e;
          out.push([t, ev, ev, sval, sval, 0, ieRange, over ? GAMRY_OVERLOAD_V : 0, 0]);
        } else {
          const [i, ov] = limitI(cell.stepCurrent(sval, t));
          out.push([t, sval, sval, i, sval, 0, ieRange, ov, 0]);
        }
      }
      return out;
    }
    // Ramp: Sinit, Sfinal, ScanRate, AcqInterval; Rupdn: Sinit, Sapex1, Sapex2, Sfinal, ScanInit, ScanApex, ScanFinal, Hold0..2, AcqInterval, Cycles
    let corners: number[];
    let rate: number;
    let dt: number;
    if (s.type === 'Ramp') {
      const [a, b, r, acq] = s.args as [number, number, number, number];
      corners = [a, b];
      rate = r;
      dt = acq;
    } else if (s.type === 'Rupdn') {
      const [a, x1, x2, f, r, , , , , , acq, cycles] = s.args as number[];
      corners = [a!];
      for (let c = 0; c < cycles!; c++) corners.push(x1!, x2!);
      corners.push(f!);
      rate = r!;
      dt = acq!;
    } else {
      throw new SimComError(0x80004001 | 0, `signal ${s.type} is not simulated`);
    }
    let span = 0;
    for (let k = 1; k < corners.length; k++) span += Math.abs(corners[k]! - corners[k - 1]!);
    const total = span / rate;
    const h = Math.max(total / 8000, Math.min(dt, 0.0005 / rate));
    const n = Math.floor(total / h);
    const pot = new Float64Array(n);
    const cyc = new Int32Array(n);
    let seg = 1;
    let segStart = 0;
    for (let k = 0; k < n; k++) {
      const t = (k + 0.5) * h;
      while (seg < corners.length - 1 && t > segStart + Math.abs(corners[seg]! - corners[seg - 1]!) / rate) {
        segStart += Math.abs(corners[seg]! - corners[seg - 1]!) / rate;
        seg++;
      }
      const dir = Math.sign(corners[seg]! - corners[seg - 1]!);
      pot[k] = corners[seg - 1]! + dir * rate * (t - segStart);
      cyc[k] = s.type === 'Rupdn' ? Math.min(Math.floor((seg - 1) / 2), (s.args[11] ?? 1) - 1) : 0;
    }
    const { total: cur } = cell.sweep(pot, h);
    const every = Math.max(1, Math.round(dt / h));
    for (let k = every - 1; k < n; k += every) {
      const [i, ov] = limitI(cur[k]!);
      const row = [(k + 0.5) * h, pot[k]!, pot[k]!, i, pot[k]!, 0, ieRange, ov, 0];
      if (kind === 'GamryDtaqRcv') row.push(cyc[k]!);
      out.push(row);
    }
    return out;
  }

  function makeSignal(type: Signal['type']): IGamrySignal & { __name: string; __sig: Signal } {
    const o = {
      __name: `Signal${type}`,
      __sig: { type, args: [] as number[] },
      Init(p: IGamryPstat, ...args: Array<number | boolean | number[]>) {
        log(`Signal${type}`, 'Init', [p, ...args]);
        if (p !== pstat) throw new SimComError(0x80070057 | 0, 'E_INVALIDARG: not a pstat');
        o.__sig = { type, args: args.map((a) => (typeof a === 'boolean' ? Number(a) : Array.isArray(a) ? NaN : a)) };
      },
    };
    return o;
  }

  const sinks = new Map<object, GamryDtaqSink | GamryReadZSink>();

  function makeDtaq(kind: 'GamryDtaqOcv' | 'GamryDtaqChrono' | 'GamryDtaqCpiv' | 'GamryDtaqRcv'): IGamryDtaq & { __name: string } {
    let args: number[] = [];
    let pending: number[][] = [];
    let all: number[][] = [];
    let released = 0;
    let running = false;
    let started = 0;
    const o: IGamryDtaq & { __name: string } = {
      __name: kind.slice(5),
      Init(p, ...a) { log(o.__name, 'Init', [p, ...a]); if (p !== pstat) throw new SimComError(0x80070057 | 0, 'E_INVALIDARG: not a pstat'); args = a; },
      Run(go) {
        log(o.__name, 'Run', [go]);
        if (!go) {
          running = false;
          return;
        }
        if (!open) throw new SimComError(0x80004005 | 0, 'pstat is not open');
        all = rows(kind, args);
        released = 0;
        pending = [];
        running = true;
        started = performance.now();
        const tick = (): void => {
          if (!running) {
            (sinks.get(o) as GamryDtaqSink | undefined)?.OnDataDone?.();
            return;
          }
          const simT = ((performance.now() - started) / 1000) * speed;
          const before = released;
          while (released < all.length && all[released]![0]! <= simT) pending.push(all[released++]!);
          const last = all[released - 1];
          if (last) {
            iNow = last[kind === 'GamryDtaqOcv' ? 1 : 3]!;
            eApplied = last[1]!;
          }
          if (released > before) (sinks.get(o) as GamryDtaqSink | undefined)?.OnDataAvailable?.();
          if (released >= all.length) {
            running = false;
            (sinks.get(o) as GamryDtaqSink | undefined)?.OnDataDone?.();
            return;
          }
          later(tickMs, tick);
        };
        later(tickMs, tick);
      },
      Cook(max) {
        log(o.__name, 'Cook', [max]);
        const take = pending.splice(0, max);
        const ncol = take[0]?.length ?? 0;
        const columns = Array.from({ length: ncol }, (_, c) => take.map((r) => r[c]!));
        return [take.length, columns];
      },
    };
    return o;
  }

  function makeReadZ(): IGamryReadZ & { __name: string } {
    let z = { re: 0, im: 0 };
    let f = 0;
    const o: IGamryReadZ & { __name: string } = {
      __name: 'ReadZ',
      Init(p) { log('ReadZ', 'Init', [p]); if (p !== pstat) throw new SimComError(0x80070057 | 0, 'E_INVALIDARG: not a pstat'); },
      SetSpeed(s) { log('ReadZ', 'SetSpeed', [s]); },
      SetZmod(v) { log('ReadZ', 'SetZmod', [v]); },
      SetIdc(v) { log('ReadZ', 'SetIdc', [v]); },
      Measure(freq, amp) {
        log('ReadZ', 'Measure', [freq, amp]);
        if (!open || !cellOn) throw new SimComError(0x80004005 | 0, 'cell is off');
        f = freq;
        z = cell.impedance(freq);
        const simS = Math.max(3 / freq, 0.02);
        const sink = sinks.get(o) as GamryReadZSink | undefined;
        later(Math.max(1, (simS / speed) * 1000), () => {
          sink?.OnDataAvailable?.(o);
          sink?.OnDataDone?.(o, C.ReadZStatusOk);
        });
      },
      Zfreq() { log('ReadZ', 'Zfreq', []); return f; },
      Zreal() { log('ReadZ', 'Zreal', []); return z.re; },
      Zimag() { log('ReadZ', 'Zimag', []); return z.im; },
      Vdc() { log('ReadZ', 'Vdc', []); return eApplied; },
      Idc() { log('ReadZ', 'Idc', []); return cell.stepCurrent(eApplied, 1e3); },
    };
    return o;
  }

  const deviceList: IGamryDeviceList & { __name: string } = {
    __name: 'devices',
    Count() { log('devices', 'Count', []); return sections.length; },
    EnumSections() { log('devices', 'EnumSections', []); return [...sections]; },
    Label(i) { log('devices', 'Label', [i]); const s = sections[i]; if (s === undefined) throw new SimComError(0x8002000b | 0, 'DISP_E_BADINDEX'); return s; },
  };

  const com = {
    calls,
    cell,
    constants: SIM_CONSTANTS,
    create(progId: string): unknown {
      const name = progId.replace(/^GamryCOM\./, '');
      calls.push(`CreateObject(${progId})`);
      if (!connected) throw new SimComError(RPC_E_DISCONNECTED, 'The object invoked has disconnected from its clients.');
      switch (name) {
        case 'GamryDeviceList': return deviceList;
        case 'GamryPC6Pstat': case 'GamryPC5Pstat': case 'GamryPstat': return pstat;
        case 'GamrySignalConst': return makeSignal('Const');
        case 'GamrySignalRamp': return makeSignal('Ramp');
        case 'GamrySignalRupdn': return makeSignal('Rupdn');
        case 'GamrySignalArray': return makeSignal('Array');
        case 'GamryDtaqOcv': case 'GamryDtaqChrono': case 'GamryDtaqCpiv': case 'GamryDtaqRcv': return makeDtaq(name);
        case 'GamryReadZ': return makeReadZ();
        default: throw new SimComError(0x800401f3 | 0, `Invalid class string ${progId}`);
      }
    },
    advise(obj: object, sink: GamryDtaqSink | GamryReadZSink) {
      calls.push(`GetEvents(${(obj as { __name?: string }).__name ?? 'obj'})`);
      sinks.set(obj, sink);
      return () => { sinks.delete(obj); };
    },
    disconnect() { connected = false; },
    release() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      sinks.clear();
    },
  };
  if (tickMs <= 0) throw new InvalidStateError('gamry sim tickMs must be > 0');
  return com as unknown as GamrySimCom;
}
