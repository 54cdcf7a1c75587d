/**
 * The Gamry vendor backend of {@link PotentiostatChannel}: maps the technique vocabulary onto the
 * GamryCOM object model through {@link GamryCom} (Windows COM or the simulator), with HELAO's call
 * sequence: device list → pstat Init/Open; per technique a signal (Const / Ramp / Rupdn) Init with
 * GamryCOM's argument order, `SetSignal`, a dtaq Init (Ocv / Chrono / Cpiv / Rcv), events,
 * `SetCell`, `Run(true)`, Cook until empty on each event (and on a poll, which also notices a lost
 * instrument), `SetCell(CellOff)` at the end; EIS by `GamryReadZ.Measure(freq, amplitude)` per
 * frequency, waiting for `OnDataDone(status)`.
 * @module
 */
import { DeviceError, DisconnectedError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { PotentiostatBackend, PstatPoint, PstatReadings, TechniqueProgress, TechniqueRun } from '../potentiostat/backend.js';
import { OVERLOAD_CURRENT, OVERLOAD_POTENTIAL } from '../potentiostat/backend.js';
import { frequencyList, type CurrentRange, type Technique, type TechniqueKind } from '../potentiostat/techniques.js';
import { col, COLUMNS, GAMRY_OVERLOAD_I, GAMRY_OVERLOAD_V, type GamryCom, type IGamryDtaq, type IGamryPstat, type IGamryReadZ } from './protocol.js';

/** Pstat ProgID by model prefix (HELAO device.py). */
export function pstatProgId(section: string): 'GamryCOM.GamryPC6Pstat' | 'GamryCOM.GamryPC5Pstat' | 'GamryCOM.GamryPstat' {
  if (/^IFC1010/i.test(section)) return 'GamryCOM.GamryPC6Pstat';
  if (/^REF6/i.test(section)) return 'GamryCOM.GamryPC5Pstat';
  return 'GamryCOM.GamryPstat';
}

/** Options of the Gamry backend. */
export interface GamryBackendOptions {
  /** Device section (`IFC1010-12345`); default: the first the device list reports. */
  section?: string;
  /** Poll period of Cook while running, ms (default 50). */
  pollMs?: number;
  /** Limit of each EIS frequency, ms (default 60000). */
  eisTimeoutMs?: number;
}

/** The Gamry backend (see the module notes). */
export class GamryBackend implements PotentiostatBackend {
  readonly techniques: readonly TechniqueKind[] = ['ocv', 'ca', 'cp', 'lsv', 'cv', 'peis'];
  #model = 'Gamry';
  #pstat: IGamryPstat | undefined;
  readonly #com: GamryCom;
  readonly #o: GamryBackendOptions;

  /** Use `com` (a COM binding or the simulator). */
  constructor(com: GamryCom, options: GamryBackendOptions = {}) {
    this.#com = com;
    this.#o = options;
  }

  get model(): string {
    return this.#model;
  }

  #device(): string {
    return this.#model;
  }

  /** Wrap a binding failure as a labrig error (a disconnected object → DisconnectedError). */
  #wrap(e: unknown, what: string): Error {
    const err = e as { hresult?: number; message?: string };
    const msg = typeof err?.message === 'string' ? err.message : String(e);
    if (err?.hresult === (0x80010108 | 0) || /disconnected/i.test(msg)) return new DisconnectedError({ device: this.#device(), detail: `${what}: ${msg}`, cause: e });
    return new DeviceError({ device: this.#device(), vendorMessage: `${what}: ${msg}`, ...(err?.hresult !== undefined ? { vendorCode: err.hresult } : {}), cause: e });
  }

  #call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.#wrap(e, what);
    }
  }

  unsupported(t: Technique): string | undefined {
    if (t.kind === 'peis') {
      const fs = frequencyList(t.frequencies);
      if (fs.some((f) => f > 5e6)) return 'frequencies above 5 MHz';
    }
    return undefined;
  }

  async connect(): Promise<void> {
    if (this.#pstat) return;
    const list = this.#call('GamryDeviceList', () => this.#com.create('GamryCOM.GamryDeviceList'));
    const sections = this.#call('EnumSections', () => list.EnumSections());
    const section = this.#o.section ?? sections[0];
    if (section === undefined || !sections.includes(section)) {
      throw new DeviceError({ device: 'gamry', vendorMessage: `no device section ${section ?? '(none)'}; the device list has: ${sections.join(', ') || 'nothing'}`, kind: 'not-found' });
    }
    this.#model = `Gamry ${section}`;
    const pstat = this.#call('CreateObject pstat', () => this.#com.create(pstatProgId(section)));
    this.#call('pstat.Init', () => pstat.Init(section));
    this.#call('pstat.Open', () => pstat.Open());
    this.#call('pstat.SetCell', () => pstat.SetCell(this.#com.constants.CellOff));
    this.#pstat = pstat;
  }

  async close(): Promise<void> {
    const p = this.#pstat;
    this.#pstat = undefined;
    if (p) {
      try {
        p.SetCell(this.#com.constants.CellOff);
        p.Close();
      } catch {
        // closing never rejects
      }
    }
    this.#com.release();
  }

  #p(): IGamryPstat {
    if (!this.#pstat) throw new DeviceError({ device: this.#device(), vendorMessage: 'not connected (pstat not open)', kind: 'not-connected' });
    return this.#pstat;
  }

  async setCell(on: boolean): Promise<void> {
    const p = this.#p();
    this.#call('pstat.SetCell', () => p.SetCell(on ? this.#com.constants.CellOn : this.#com.constants.CellOff));
  }

  async setCurrentRange(range: CurrentRange): Promise<void> {
    const p = this.#p();
    if (range === 'auto') this.#call('pstat.SetIERangeMode', () => p.SetIERangeMode(true));
    else {
      this.#call('pstat.SetIERangeMode', () => p.SetIERangeMode(false));
      this.#call('pstat.SetIERange', () => p.SetIERange(range));
    }
  }

  async readNow(): Promise<PstatReadings> {
    const p = this.#p();
    const ewe = this.#call('pstat.MeasureV', () => p.MeasureV());
    const i = this.#call('pstat.MeasureI', () => p.MeasureI());
    const state = this.#call('pstat.State', () => p.State());
    return { ewe, i, state: 'idle', cellOn: /Cell On/i.test(state) };
  }

  async start(t: Technique, onData: () => void): Promise<TechniqueRun> {
    const p = this.#p();
    await this.setCurrentRange(t.currentRange ?? 'auto');
    if (t.kind === 'peis') return this.#eis(p, t, onData);
    return this.#dtaqRun(p, t, onData);
  }

  #dtaqRun(p: IGamryPstat, t: Exclude<Technique, { kind: 'peis' }>, onData: () => void): TechniqueRun {
    const K = this.#com.constants;
    let dtaqName: keyof typeof COLUMNS;
    let cellOn = true;
    const mode = t.kind === 'cp' ? K.GstatMode : K.PstatMode;
    this.#call('pstat.SetCtrlMode', () => p.SetCtrlMode(mode));
    if (t.kind === 'ocv' || t.kind === 'ca' || t.kind === 'cp') {
      const sig = this.#call('CreateObject signal', () => this.#com.create('GamryCOM.GamrySignalConst'));
      const sval = t.kind === 'ocv' ? 0.0 : t.kind === 'ca' ? t.potentialV : t.currentA;
      this.#call('SignalConst.Init', () => sig.Init(p, sval, t.durationS, t.recordEveryS, mode));
      this.#call('pstat.SetSignal', () => p.SetSignal(sig));
      dtaqName = t.kind === 'ocv' ? 'GamryDtaqOcv' : 'GamryDtaqChrono';
      cellOn = t.kind !== 'ocv';
    } else if (t.kind === 'lsv') {
      const sig = this.#call('CreateObject signal', () => this.#com.create('GamryCOM.GamrySignalRamp'));
      this.#call('SignalRamp.Init', () => sig.Init(p, t.startV, t.endV, t.scanRateVPerS, t.recordEveryV / t.scanRateVPerS, mode));
      this.#call('pstat.SetSignal', () => p.SetSignal(sig));
      dtaqName = 'GamryDtaqCpiv';
    } else {
      const sig = this.#call('CreateObject signal', () => this.#com.create('GamryCOM.GamrySignalRupdn'));
      const r = t.scanRateVPerS;
      this.#call('SignalRupdn.Init', () => sig.Init(p, t.startV, t.vertex1V, t.vertex2V, t.endV, r, r, r, 0, 0, 0, t.recordEveryV / r, t.cycles, mode));
      this.#call('pstat.SetSignal', () => p.SetSignal(sig));
      dtaqName = 'GamryDtaqRcv';
    }
    const dtaq = this.#call('CreateObject dtaq', () => this.#com.create(`GamryCOM.${dtaqName}` as 'GamryCOM.GamryDtaqOcv')) as IGamryDtaq;
    if (dtaqName === 'GamryDtaqChrono') this.#call('DtaqChrono.Init', () => dtaq.Init(p, t.kind === 'cp' ? K.ChronoPot : K.ChronoAmp));
    else this.#call(`${dtaqName}.Init`, () => dtaq.Init(p));

    const points: PstatPoint[] = [];
    let count = 0;
    let lastT = 0;
    let lastCycle = 0;
    let finished = false;
    let settle!: (e?: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (e) => (e ? reject(e) : resolve());
    });
    const iT = col(dtaqName, 'T');
    const iV = col(dtaqName, 'Vf');
    const iI = col(dtaqName, 'Im');
    const iO = col(dtaqName, 'Overload');
    const iC = col(dtaqName, 'Cycle');
    const cook = (): void => {
      for (;;) {
        const [n, cols] = this.#call(`${dtaqName}.Cook`, () => dtaq.Cook(1024));
        if (n === 0) break;
        for (let k = 0; k < n; k++) {
          const ov = cols[iO]![k]!;
          const pt: PstatPoint = {
            kind: 'time', t: cols[iT]![k]!, ewe: cols[iV]![k]!, i: iI >= 0 ? cols[iI]![k]! : 0, cycle: iC >= 0 ? cols[iC]![k]! : 0,
            overload: (ov & GAMRY_OVERLOAD_I ? OVERLOAD_CURRENT : 0) | (ov & GAMRY_OVERLOAD_V ? OVERLOAD_POTENTIAL : 0),
          };
          points.push(pt);
          lastT = pt.t;
          lastCycle = pt.cycle;
        }
        count += n;
        onData();
      }
    };
    let poll: ReturnType<typeof setInterval> | undefined;
    const finish = (e?: Error): void => {
      if (finished) return;
      finished = true;
      if (poll) clearInterval(poll);
      detach();
      if (!e) {
        try {
          cook();
        } catch (err) {
          e = err as Error;
        }
      }
      try {
        p.SetCell(K.CellOff);
      } catch {
        // the instrument may be gone; the run's error says so
      }
      settle(e);
    };
    const detach = this.#com.advise(dtaq, {
      OnDataAvailable: () => {
        try {
          cook();
        } catch (e) {
          finish(e as Error);
        }
      },
      OnDataDone: () => finish(),
    });
    try {
      this.#call('pstat.SetCell', () => p.SetCell(cellOn ? K.CellOn : K.CellOff));
      this.#call(`${dtaqName}.Run`, () => dtaq.Run(true));
    } catch (e) {
      detach();
      throw e;
    }
    poll = setInterval(() => {
      try {
        cook();
      } catch (e) {
        finish(e as Error);
      }
    }, this.#o.pollMs ?? 50);
    return {
      done,
      take: () => points.splice(0, points.length),
      progress: (): TechniqueProgress => ({ points: count, elapsedS: lastT, cycle: lastCycle }),
      stop: async () => {
        if (finished) return;
        this.#call(`${dtaqName}.Run`, () => dtaq.Run(false));
        finish();
        await done.catch(() => undefined);
      },
    };
  }

  #eis(p: IGamryPstat, t: Extract<Technique, { kind: 'peis' }>, onData: () => void): TechniqueRun {
    const K = this.#com.constants;
    const freqs = frequencyList(t.frequencies);
    this.#call('pstat.SetCtrlMode', () => p.SetCtrlMode(K.PstatMode));
    this.#call('pstat.SetVoltage', () => p.SetVoltage(t.dcV));
    this.#call('pstat.SetCell', () => p.SetCell(K.CellOn));
    const rz = this.#call('CreateObject ReadZ', () => this.#com.create('GamryCOM.GamryReadZ')) as IGamryReadZ;
    this.#call('ReadZ.Init', () => rz.Init(p));
    this.#call('ReadZ.SetSpeed', () => rz.SetSpeed(K.ReadZSpeedNorm));
    this.#call('ReadZ.SetIdc', () => rz.SetIdc(p.MeasureI()));
    const points: PstatPoint[] = [];
    let n = 0;
    let stopped = false;
    const started = performance.now();
    let current: { resolve: (s: number) => void; reject: (e: Error) => void } | undefined;
    const detach = this.#com.advise(rz, { OnDataDone: (_self, status) => current?.resolve(status) });
    const timeoutMs = this.#o.eisTimeoutMs ?? 60000;
    const one = (f: number): Promise<number> => new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError({ operation: `${this.#device()} ReadZ.Measure(${f} Hz)`, afterMs: timeoutMs })), timeoutMs);
      // a lost instrument sends no event: poll it while waiting
      const watch = setInterval(() => {
        try {
          p.TestIsOpen();
        } catch (e) {
          current?.reject(this.#wrap(e, 'pstat.TestIsOpen'));
        }
      }, this.#o.pollMs ?? 50);
      current = {
        resolve: (s) => { clearTimeout(timer); clearInterval(watch); resolve(s); },
        reject: (e) => { clearTimeout(timer); clearInterval(watch); reject(e); },
      };
      try {
        rz.Measure(f, t.amplitudeV);
      } catch (e) {
        current.reject(this.#wrap(e, 'ReadZ.Measure'));
      }
    });
    const done = (async () => {
      try {
        let zGuess = 0;
        for (const f of freqs) {
          if (stopped) break;
          if (zGuess > 0) this.#call('ReadZ.SetZmod', () => rz.SetZmod(zGuess));
          let status = await one(f);
          for (let retry = 0; status === K.ReadZStatusRetry && retry < 3; retry++) status = await one(f);
          if (status !== K.ReadZStatusOk) throw new DeviceError({ device: this.#device(), vendorMessage: `ReadZ status ${status} at ${f} Hz`, vendorCode: status });
          const zRe = this.#call('ReadZ.Zreal', () => rz.Zreal());
          const zIm = this.#call('ReadZ.Zimag', () => rz.Zimag());
          const freq = this.#call('ReadZ.Zfreq', () => rz.Zfreq());
          zGuess = Math.hypot(zRe, zIm);
          points.push({ kind: 'eis', t: (performance.now() - started) / 1000, freq, zRe, zIm, ewe: this.#call('ReadZ.Vdc', () => rz.Vdc()), i: this.#call('ReadZ.Idc', () => rz.Idc()), overload: 0 });
          n++;
          onData();
        }
      } finally {
        detach();
        try {
          p.SetCell(K.CellOff);
        } catch {
          // instrument gone: the error above says so
        }
      }
    })();
    return {
      done,
      take: () => points.splice(0, points.length),
      progress: () => ({ points: n, elapsedS: (performance.now() - started) / 1000, cycle: 0, fraction: n / freqs.length }),
      stop: async () => {
        stopped = true;
        await done.catch(() => undefined);
      },
    };
  }
}

/** Check a Gamry section name from an address (`IFC1010-12345`). */
export function checkSection(s: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s)) throw new InvalidInputError({ what: 'gamry device section', value: s, reason: 'must be a Gamry device label such as IFC1010-12345' });
  return s;
}
