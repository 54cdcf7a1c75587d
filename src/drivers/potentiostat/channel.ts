/**
 * PotentiostatChannel: one potentiostat channel as a device, whoever made it. It reads Ewe, I,
 * the control state and the cell switch; runs a technique (`run(t)` → Status with progress, or
 * as a flyer: `prepare(t)`, `kickoff()`, `collect()` while it measures, `complete()`); stops; and
 * switches the cell and the current range. Techniques are checked (units, ranges, and what this
 * vendor's channel supports) before anything is sent. Points stream out through `collect()` as
 * they are measured: time-domain techniques as rows of t/Ewe/I/cycle/overload, EIS as one row
 * per frequency. Overload is data (a flags column), not an error.
 * @module
 */
import { InvalidStateError, UnsupportedError } from '../../core/errors.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import type { DataKeys, PartialEvent, Readings } from '../../core/protocols.js';
import { softSignalRAndSetter } from '../../core/signal/factories.js';
import type { SignalR } from '../../core/signal/signal.js';
import { Status } from '../../core/status.js';
import type { ControlState, PotentiostatBackend, PstatPoint, TechniqueRun } from './backend.js';
import { checkTechnique, techniqueDuration, frequencyList, type CurrentRange, type Technique } from './techniques.js';

const now = (): number => Date.now() / 1000;

/** A potentiostat channel (see the module notes). */
export class PotentiostatChannel extends StandardReadable {
  /** Working-electrode potential, V. */
  readonly ewe: SignalR<number>;
  /** Current, A. */
  readonly current: SignalR<number>;
  /** Control state: idle, running, stopped, error. */
  readonly controlState: SignalR<string>;
  /** Cell switch. */
  readonly cellOn: SignalR<boolean>;
  readonly #set: { ewe: (v: number) => void; i: (v: number) => void; state: (v: string) => void; cell: (v: boolean) => void };
  readonly #backend: PotentiostatBackend;
  #prepared: Technique | undefined;
  #run: { technique: Technique; run: TechniqueRun; startedAt: number; status: Status<void> } | undefined;
  #starting = false;

  /** Build a channel named `name` on a vendor backend (not connected yet). */
  constructor(name: string, backend: PotentiostatBackend) {
    super(name);
    this.#backend = backend;
    const [ewe, setEwe] = softSignalRAndSetter(0, { units: 'V', precision: 6 });
    const [current, setI] = softSignalRAndSetter(0, { units: 'A', precision: 12 });
    const [controlState, setState] = softSignalRAndSetter<string>('idle');
    const [cellOn, setCell] = softSignalRAndSetter(false);
    this.ewe = ewe;
    this.current = current;
    this.controlState = controlState;
    this.cellOn = cellOn;
    this.#set = { ewe: setEwe, i: setI, state: setState, cell: setCell };
    this.setName(name);
    this.addReadables([ewe, current], 'hinted');
    this.addReadables([controlState, cellOn]);
  }

  /** Vendor and model of the channel. */
  get model(): string {
    return this.#backend.model;
  }

  /** The technique prepared or running, if any. */
  get technique(): Technique | undefined {
    return this.#run?.technique ?? this.#prepared;
  }

  /** Connect the vendor session, then the signals. */
  override async connect(options: { mock?: boolean; timeoutMs?: number; force?: boolean } = {}): Promise<void> {
    if (!options.mock) await this.#backend.connect();
    await super.connect(options);
  }

  /** Close the vendor session. */
  async close(): Promise<void> {
    await this.#backend.close();
  }

  /** Read Ewe, I, state and cell from the instrument, then the signals. */
  override async read(): Promise<Readings> {
    const r = await this.#backend.readNow();
    this.#set.ewe(r.ewe);
    this.#set.i(r.i);
    this.#set.state(this.#run && !this.#run.status.done ? 'running' : r.state);
    this.#set.cell(r.cellOn);
    return super.read();
  }

  /** Check `t` against the vocabulary and this channel (UnsupportedError / InvalidInputError); returns it checked. */
  check(t: unknown): Technique {
    const c = checkTechnique(t);
    if (!this.#backend.techniques.includes(c.kind)) {
      throw new UnsupportedError({ device: `${this.name} (${this.#backend.model})`, verb: `technique ${c.kind}` });
    }
    const why = this.#backend.unsupported?.(c);
    if (why !== undefined) throw new UnsupportedError({ device: `${this.name} (${this.#backend.model}): ${why}`, verb: `technique ${c.kind}` });
    return c;
  }

  /** Prepare the next technique (checked now); finishes at once. */
  prepare(t: unknown): Status<unknown> {
    try {
      this.#prepared = this.check(t);
      return Status.finished<unknown>(undefined, `${this.name}.prepare`);
    } catch (e) {
      return Status.failed<unknown>(e, `${this.name}.prepare`);
    }
  }

  /** Start the prepared technique; the Status finishes once the instrument runs it. */
  kickoff(): Status<unknown> {
    const st = new Status<unknown>({ name: `${this.name}.kickoff` });
    const t = this.#prepared;
    if (t === undefined) {
      st.setException(new InvalidStateError(`${this.name}: kickoff without a prepared technique`));
      return st;
    }
    if (this.#starting || (this.#run && !this.#run.status.done)) {
      st.setException(new InvalidStateError(`${this.name}: a technique is already running`));
      return st;
    }
    this.#starting = true;
    const status = new Status<void>({ name: `${this.name}.${t.kind}` });
    this.#backend.start(t, () => this.#progress()).then(
      (run) => {
        this.#starting = false;
        this.#run = { technique: t, run, startedAt: now(), status };
        this.#set.state('running');
        run.done.then(
          () => {
            this.#set.state('idle');
            status.setFinished();
          },
          (e: unknown) => {
            this.#set.state('error');
            status.setException(e);
          },
        );
        st.setFinished();
      },
      (e: unknown) => {
        this.#starting = false;
        st.setException(e);
      },
    );
    return st;
  }

  #progress(): void {
    const r = this.#run;
    if (!r) return;
    const p = r.run.progress();
    const target = techniqueDuration(r.technique);
    if (target !== undefined) r.status.updateProgress({ current: Math.min(p.elapsedS, target), initial: 0, target, units: 's' });
    else if (r.technique.kind === 'peis') r.status.updateProgress({ current: p.points, initial: 0, target: frequencyList(r.technique.frequencies).length, units: 'points' });
  }

  /** Finishes when the running technique ends (fails when it fails). */
  complete(): Status<unknown> {
    const r = this.#run;
    if (!r) return Status.failed<unknown>(new InvalidStateError(`${this.name}: complete without a kickoff`), `${this.name}.complete`);
    return r.status as Status<unknown>;
  }

  /** Run technique `t` (checked first): the Status finishes when it ends and reports progress. */
  run(t: unknown): Status<void> {
    const prep = this.prepare(t);
    const ex = prep.exception();
    if (ex) return Status.failed<void>(ex, `${this.name}.run`);
    const out = new Status<void>({ name: `${this.name}.run` });
    this.kickoff().addCallback((k) => {
      const e = k.exception();
      if (e) return out.setException(e);
      const st = this.#run!.status;
      st.watch((p) => out.updateProgress({ current: p.current, initial: p.initial, target: p.target, ...(p.units !== undefined ? { units: p.units } : {}) }));
      st.addCallback((s) => {
        const err = s.exception();
        if (err) out.setException(err);
        else out.setFinished();
      });
    });
    return out;
  }

  /** Stop the running technique (nothing when idle). */
  async stop(): Promise<void> {
    const r = this.#run;
    if (r && !r.status.done) await r.run.stop();
  }

  /** Switch the cell on or off. */
  async setCell(on: boolean): Promise<void> {
    await this.#backend.setCell(on);
    this.#set.cell(on);
  }

  /** Set the current range ('auto' or full scale in A). */
  async setCurrentRange(range: CurrentRange): Promise<void> {
    checkTechnique({ kind: 'ocv', durationS: 1, recordEveryS: 1, currentRange: range });
    await this.#backend.setCurrentRange(range);
  }

  /** Data keys of what `collect()` returns for the prepared technique. */
  describeCollect(): DataKeys {
    const t = this.technique;
    const src = `${this.#backend.model}/${t?.kind ?? 'none'}`;
    const n = this.name;
    const num = (units: string, precision?: number) => ({ source: src, dtype: 'number' as const, shape: [], units, ...(precision !== undefined ? { precision } : {}) });
    if (t?.kind === 'peis') {
      return {
        [`${n}-freq`]: num('Hz'), [`${n}-z_re`]: num('ohm'), [`${n}-z_im`]: num('ohm'), [`${n}-z_mod`]: num('ohm'), [`${n}-z_phase`]: num('deg'),
        [`${n}-ewe`]: num('V'), [`${n}-i`]: num('A'), [`${n}-overload`]: { source: src, dtype: 'integer', shape: [] },
      };
    }
    return {
      [`${n}-t`]: num('s'), [`${n}-ewe`]: num('V', 6), [`${n}-i`]: num('A'), [`${n}-cycle`]: { source: src, dtype: 'integer', shape: [] },
      [`${n}-overload`]: { source: src, dtype: 'integer', shape: [] },
    };
  }

  /** Take the points measured since the last collect, as partial events. */
  collect(): PartialEvent[] {
    const r = this.#run;
    if (!r) return [];
    return r.run.take().map((p) => this.#event(p, r.startedAt));
  }

  #event(p: PstatPoint, t0: number): PartialEvent {
    const n = this.name;
    const ts = t0 + p.t;
    const data: Record<string, number> = p.kind === 'eis'
      ? {
        [`${n}-freq`]: p.freq, [`${n}-z_re`]: p.zRe, [`${n}-z_im`]: p.zIm, [`${n}-z_mod`]: Math.hypot(p.zRe, p.zIm),
        [`${n}-z_phase`]: (Math.atan2(p.zIm, p.zRe) * 180) / Math.PI, [`${n}-ewe`]: p.ewe, [`${n}-i`]: p.i, [`${n}-overload`]: p.overload,
      }
      : { [`${n}-t`]: p.t, [`${n}-ewe`]: p.ewe, [`${n}-i`]: p.i, [`${n}-cycle`]: p.cycle, [`${n}-overload`]: p.overload };
    const timestamps = Object.fromEntries(Object.keys(data).map((k) => [k, ts]));
    return { data, timestamps, time: ts };
  }

  /** The state the vendor last reported (for tests and CLIs). */
  get state(): ControlState {
    return this.#run && !this.#run.status.done ? 'running' : 'idle';
  }
}
