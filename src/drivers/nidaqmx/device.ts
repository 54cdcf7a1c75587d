/**
 * An NI-DAQmx task as a labrig device. One device holds the channels of one kind:
 *
 * - analog inputs (voltage or current): one signal per channel; Readable on demand, Triggerable
 *   for a finite acquisition (`samples` at `rate`: the signals then hold arrays), and Flyable +
 *   Collectable for acquisition on the sample clock (`kickoff`, `complete`, `collect` as event
 *   rows at low rates; to a `.npy` file referenced by stream_resource/stream_datum with
 *   `directory`, decision 0012);
 * - analog outputs: one SignalRW per channel (V, limits = the range) and Movable (`set(v)`
 *   writes every channel), plus {@link NidaqmxDevice.playWaveform} on the sample clock;
 * - digital lines: one boolean signal per line, read-only for inputs, read-write for outputs.
 *
 * Built without a library (`connect({ mock: true })`), the signals run on mock backends and the
 * verbs touch nothing. {@link NidaqmxDevice.close} clears every task.
 * @module
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StandardReadable } from '../../core/device/standard-readable.js';
import type { ConnectOptions } from '../../core/device/device.js';
import { newUid } from '../../core/documents/compose.js';
import type { StreamDatum, StreamResource } from '../../core/documents/types.js';
import { InvalidInputError, InvalidStateError, TimeoutError } from '../../core/errors.js';
import type { DataKey, DataKeys, PartialEvent, Reading } from '../../core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../core/signal/backend.js';
import { buildDatakey, checkValue, type ValueMetadata } from '../../core/signal/datakey.js';
import { SignalR } from '../../core/signal/signal.js';
import { SignalRW } from '../../core/signal/writable.js';
import { Status } from '../../core/status.js';
import type { DaqmxLibrary } from './library.js';
import { NpyAppender } from './npy.js';
import { parseChannels, type ChannelKind, type PhysicalChannel, type TerminalConfig } from './protocol.js';
import { DaqTask, type AnalogConfig } from './io.js';

/** Options of an NI-DAQmx device (the family's parameters). */
export interface NidaqmxOptions {
  /** Channels: `Dev1/ai0:3`, `Dev1/ao0`, `Dev1/port0/line0:3` (direction from `direction` for lines). */
  channels: string;
  /** Digital lines: `input` (default) or `output`. */
  direction?: 'input' | 'output';
  /** Names of the channels' signals, in order (default ai0, ai1, ... / port0_line0, ...). */
  names?: string[];
  /** Analog inputs: voltage (default) or current. */
  measurement?: 'voltage' | 'current';
  /** Analog inputs: terminal configuration. */
  terminal?: TerminalConfig;
  /** Range in V (A for current); default ±10 V (±0.02 A). */
  min?: number;
  max?: number;
  /** Current inputs: shunt location and value (ohms). */
  shunt?: 'default' | 'internal' | 'external';
  shuntOhms?: number;
  /** Sample clock, samples per second per channel (timed acquisitions, fly scans, waveforms). */
  rate?: number;
  /** Finite acquisitions: samples per channel per trigger / fly scan. Unset: continuous fly scans. */
  samples?: number;
  /** Samples per channel between EveryNSamples deliveries (default rate/10, at least 1). */
  chunk?: number;
  /** Samples per channel the buffer holds (continuous; default NI's for the rate). */
  bufferSize?: number;
  /** Start trigger terminal (`/Dev1/PFI0`) and edge. */
  trigger?: string;
  triggerEdge?: 'rising' | 'falling';
  /** Folder for `.npy` stream files; set: fly scans write there and emit stream_resource/stream_datum. */
  directory?: string;
  /** Limit of each acquisition wait, ms (default 10000). */
  timeoutMs?: number;
}

/** Aggregate rate (samples/s over all channels) above which fly scans need a `directory`. */
export const EVENT_RATE_LIMIT = 10_000;

type Value = number | boolean | number[];

/** A signal backend whose value comes from the device's task. */
class DaqBackend<T extends Value> implements SignalBackend<T> {
  #name = '';
  #last: Reading<T> | undefined;
  #listener: ReadingListener<T> | undefined;
  constructor(
    private readonly source_: string,
    private readonly meta: ValueMetadata,
    private readonly initial: T,
    private readonly readFn: () => Promise<T>,
    private readonly writeFn?: (v: T) => Promise<void>,
  ) {}
  setName(name: string): void {
    this.#name = name;
  }
  source(): string {
    return this.source_;
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  async getReading(): Promise<Reading<T>> {
    const r = { value: await this.readFn(), timestamp: Date.now() / 1000 };
    this.publish(r);
    return r;
  }
  async getValue(): Promise<T> {
    return (await this.getReading()).value;
  }
  async getSetpoint(): Promise<T> {
    return this.#last?.value ?? this.initial;
  }
  getDatakey(source: string): Promise<DataKey> {
    return Promise.resolve(buildDatakey(source, this.#last?.value ?? this.initial, this.meta));
  }
  async put(value: T | undefined, _wait: boolean): Promise<void> {
    if (!this.writeFn) throw new InvalidStateError(`${this.#name}: read-only`);
    checkValue(this.#name, value, this.meta, this.meta.dtype);
    await this.writeFn(value as T);
    this.publish({ value: value as T, timestamp: Date.now() / 1000 });
  }
  setCallback(listener: ReadingListener<T> | undefined): void {
    this.#listener = listener;
    if (listener && this.#last) listener(this.#last);
  }
  publish(r: Reading<T>): void {
    this.#last = r;
    this.#listener?.(r);
  }
}

/** Fly-scan state. */
interface Flight {
  t0: number;
  rows: number;
  collected: number;
  pending: PartialEvent[];
  file?: NpyAppender;
  resource?: StreamResource;
  emitted: number;
  datums: number;
  error?: Error;
  done: Status<unknown>;
}

/** An NI-DAQmx task as a device (see the module notes). */
export class NidaqmxDevice extends StandardReadable {
  /** The channel signals by name. */
  readonly signals: Readonly<Record<string, SignalR<Value>>>;
  /** Kind of the channels. */
  readonly kind: ChannelKind;
  /** Physical channels, in order (digital: one per line). */
  readonly physical: readonly PhysicalChannel[];
  readonly #options: NidaqmxOptions;
  readonly #lib: DaqmxLibrary | undefined;
  #task: DaqTask | undefined;
  #waveform: DaqTask | undefined;
  #mock = false;
  #aoValues: number[];
  #lastBlock: number[][] | undefined;
  #flight: Flight | undefined;

  /** Build the device; `lib` undefined builds it for the mock tier. Call {@link open} (or connect) to create its task. */
  constructor(name: string, options: NidaqmxOptions, lib?: DaqmxLibrary) {
    super(name);
    this.#options = options;
    this.#lib = lib;
    const chans = parseChannels(options.channels, "parameter 'channels'");
    this.kind = chans[0]!.type === 'port' ? (options.direction === 'output' ? 'do' : 'di') : chans[0]!.type;
    this.physical = this.kind === 'di' || this.kind === 'do' ? expand(chans) : chans;
    const names = options.names ?? this.physical.map((c) => (c.type === 'port' ? `port${c.index}_line${c.lines![0]}` : `${c.type}${c.index}`));
    if (names.length !== this.physical.length) throw new InvalidInputError({ what: "parameter 'names'", value: options.names, reason: `must name each of the ${this.physical.length} channels` });
    this.#aoValues = this.physical.map(() => 0);
    const current = options.measurement === 'current';
    const units = this.kind === 'ai' ? (current ? 'A' : 'V') : this.kind === 'ao' ? 'V' : undefined;
    const min = options.min ?? (current ? -0.02 : -10), max = options.max ?? (current ? 0.02 : 10);
    const finite = this.kind === 'ai' && options.samples !== undefined && options.rate !== undefined;
    const signals: Record<string, SignalR<Value>> = {};
    this.physical.forEach((c, i) => {
      const src = `nidaqmx://${c.name}`;
      let sig: SignalR<Value>;
      if (this.kind === 'ai' && finite) {
        sig = new SignalR<Value>(new DaqBackend<number[]>(src, { dtype: 'array', shape: [options.samples!], units: units!, dtypeNumpy: '<f8' }, [], async () => (await this.#waveformRows())[i] ?? []) as SignalBackend<Value>);
      } else if (this.kind === 'ai') {
        sig = new SignalR<Value>(new DaqBackend<number>(src, { dtype: 'number', units: units! }, 0, async () => (await this.#sampleAll())[i]!) as SignalBackend<Value>);
      } else if (this.kind === 'ao') {
        sig = new SignalRW<Value>(new DaqBackend<number>(src, { dtype: 'number', units: 'V', limits: { low: min, high: max } }, 0, async () => this.#aoValues[i]!, async (v) => this.#writeAo(i, v)) as SignalBackend<Value>);
      } else if (this.kind === 'di') {
        sig = new SignalR<Value>(new DaqBackend<boolean>(src, { dtype: 'boolean' }, false, async () => this.#task!.readLines()[i]!) as SignalBackend<Value>);
      } else {
        sig = new SignalRW<Value>(new DaqBackend<boolean>(src, { dtype: 'boolean' }, false, async () => this.#task!.readLines()[i]!, async (v) => this.#writeLine(i, v)) as SignalBackend<Value>);
      }
      signals[names[i]!] = sig;
    });
    this.signals = signals;
    if (options.directory) this.collectAssetDocs = (index?: number) => this.#assetDocs(index);
    // Every read asks the task (a sample now): a staged signal would otherwise serve a cached
    // reading, and this backend publishes only what a read fetched (so a staged run got nothing).
    this.addReadables(Object.values(signals), this.kind === 'ai' || this.kind === 'di' ? 'hinted-uncached' : 'uncached');
    this.setName(name);
  }

  protected override childEntries(): Iterable<[string, unknown]> {
    return [...Object.entries(this), ...Object.entries(this.signals)];
  }

  /** Connect: in mock mode nothing is created; otherwise the task is created and configured. */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    this.#mock = options.mock ?? false;
    if (!this.#mock) this.#ensureTask();
    await super.connect(options);
  }

  #ensureTask(): DaqTask {
    if (this.#task) return this.#task;
    if (!this.#lib) throw new InvalidStateError(`${this.name}: built without an NI-DAQmx library (mock tier only)`);
    const o = this.#options;
    const analog: AnalogConfig | undefined = this.kind === 'ai' || this.kind === 'ao'
      ? { measurement: o.measurement ?? 'voltage', min: o.min ?? (o.measurement === 'current' ? -0.02 : -10), max: o.max ?? (o.measurement === 'current' ? 0.02 : 10), ...(o.terminal ? { terminal: o.terminal } : {}), ...(o.shunt ? { shunt: o.shunt } : {}), ...(o.shuntOhms ? { shuntOhms: o.shuntOhms } : {}) }
      : undefined;
    const task = new DaqTask(this.#lib, this.name, this.kind, this.physical.map((c) => c), analog);
    try {
      if (this.kind === 'ai' && o.rate !== undefined && o.samples !== undefined) task.configureTiming({ rate: o.rate, mode: 'finite', samples: o.samples });
      if (this.kind === 'ai' && o.trigger) task.configureTrigger({ source: o.trigger, edge: o.triggerEdge ?? 'rising' });
    } catch (e) {
      task.clear();
      throw e;
    }
    this.#task = task;
    return task;
  }

  /** The open NI-DAQmx task (undefined on the mock tier). */
  get task(): DaqTask | undefined {
    return this.#task;
  }

  #timeoutS(): number {
    return (this.#options.timeoutMs ?? 10_000) / 1000;
  }

  #sharedSample: Promise<number[]> | undefined;
  /** One on-demand sample of every channel, shared by concurrent signal reads. */
  #sampleAll(): Promise<number[]> {
    this.#sharedSample ??= Promise.resolve().then(() => {
      this.#sharedSample = undefined;
      return this.#ensureTask().readAnalog(this.#timeoutS());
    });
    return this.#sharedSample;
  }

  async #waveformRows(): Promise<number[][]> {
    if (!this.#lastBlock) await this.#acquireFinite();
    return this.#lastBlock!;
  }

  async #acquireFinite(): Promise<void> {
    const task = this.#ensureTask();
    const n = this.#options.samples!;
    const buf = new Float64Array(n * this.physical.length);
    try {
      task.start();
      const rows = await task.readAnalogBlock(buf, n, this.#timeoutS());
      const nch = this.physical.length;
      this.#lastBlock = this.physical.map((_, c) => Array.from({ length: rows }, (_, i) => buf[i * nch + c]!));
    } finally {
      task.stop();
    }
  }

  async #writeAo(i: number, v: number): Promise<void> {
    const next = [...this.#aoValues];
    next[i] = v;
    this.#ensureTask().writeAnalog(next);
    this.#aoValues = next;
  }

  #lineValues: boolean[] | undefined;
  async #writeLine(i: number, v: boolean): Promise<void> {
    const task = this.#ensureTask();
    const next = [...(this.#lineValues ?? this.physical.map(() => false))];
    next[i] = v;
    task.writeLines(next);
    this.#lineValues = next;
  }

  /** Analog/digital outputs: set every channel to `value` (a number for AO, a boolean for DO). */
  set(value: number | boolean, options: { timeoutMs?: number } = {}): Status<void> {
    if (this.kind !== 'ao' && this.kind !== 'do') return Status.failed<void>(new InvalidStateError(`${this.name}: set() needs output channels (it holds ${this.kind})`), `${this.name}.set`);
    const sigs = Object.values(this.signals) as Array<SignalRW<Value>>;
    return Status.all(sigs.map((s) => s.set(value, options)), { name: `${this.name}.set(${String(value)})` });
  }

  /** Analog inputs with `samples`: run one finite acquisition (the signals then hold its arrays). Otherwise nothing to do. */
  trigger(): Status<unknown> {
    if (this.#mock || this.kind !== 'ai' || this.#options.samples === undefined || this.#options.rate === undefined) return Status.finished<unknown>(undefined, `${this.name}.trigger()`);
    return Status.wrap(() => this.#acquireFinite(), { name: `${this.name}.trigger()`, timeoutMs: (this.#options.timeoutMs ?? 10_000) * 2 });
  }

  /**
   * Analog outputs: play `waveform` (one array per channel, or one for all) on the sample clock at
   * `rate` (default the `rate` option): finite, the Status finishing when played; `continuous`,
   * finishing once started and repeating until {@link stop}.
   */
  playWaveform(waveform: ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>, options: { rate?: number; continuous?: boolean } = {}): Status<void> {
    const name = `${this.name}.playWaveform()`;
    try {
      if (this.kind !== 'ao') throw new InvalidStateError(`${this.name}: waveforms need analog outputs`);
      const rate = options.rate ?? this.#options.rate;
      if (rate === undefined || !(rate > 0)) throw new InvalidInputError({ what: `${this.name} waveform rate`, value: rate, reason: 'must be a positive sample rate (S/s)' });
      const nch = this.physical.length;
      const perChan = (typeof waveform[0] === 'number' ? this.physical.map(() => waveform as readonly number[]) : (waveform as ReadonlyArray<ReadonlyArray<number>>));
      if (perChan.length !== nch) throw new InvalidInputError({ what: `${this.name} waveform`, value: perChan.length, reason: `must give one array per channel (${nch})` });
      const rows = perChan[0]!.length;
      if (rows < 2 || perChan.some((a) => a.length !== rows)) throw new InvalidInputError({ what: `${this.name} waveform`, value: rows, reason: 'needs at least 2 samples, the same count per channel' });
      const sig = Object.values(this.signals);
      const data = new Float64Array(rows * nch);
      perChan.forEach((a, c) => a.forEach((v, i) => {
        checkValue(sig[c]!.name, v, { limits: { low: this.#options.min ?? -10, high: this.#options.max ?? 10 }, units: 'V' }, 'number');
        data[i * nch + c] = v;
      }));
      if (this.#mock) return Status.finished<void>(undefined, name);
      this.#stopWaveform();
      this.#task?.stop(); // the on-demand task releases the channels
      const task = new DaqTask(this.#lib!, this.name, 'ao', this.physical, { min: this.#options.min ?? -10, max: this.#options.max ?? 10 });
      this.#waveform = task;
      try {
        task.configureTiming({ rate, mode: options.continuous ? 'continuous' : 'finite', samples: rows });
        task.writeWaveform(data, rows);
      } catch (e) {
        this.#stopWaveform();
        throw e;
      }
      this.#aoValues = perChan.map((a) => a[rows - 1]!);
      if (options.continuous) return Status.finished<void>(undefined, name);
      return Status.wrap(async () => {
        try {
          await task.waitDone(rows / rate + this.#timeoutS());
        } finally {
          if (this.#waveform === task) this.#stopWaveform();
        }
      }, { name });
    } catch (e) {
      return Status.failed<void>(e, name);
    }
  }

  #stopWaveform(): void {
    this.#waveform?.clear();
    this.#waveform = undefined;
  }

  // ---------- fly scans ----------

  /** Start acquiring on the sample clock (analog inputs with `rate`). */
  kickoff(): Status<unknown> {
    const name = `${this.name}.kickoff()`;
    try {
      const o = this.#options;
      if (this.kind !== 'ai') throw new InvalidStateError(`${this.name}: fly scans need analog inputs`);
      if (o.rate === undefined) throw new InvalidInputError({ what: `${this.name} rate`, value: undefined, reason: 'a fly scan needs the sample rate (parameter rate, S/s)' });
      if (this.#flight && !this.#flight.done.done) throw new InvalidStateError(`${this.name}: already flying`);
      const nch = this.physical.length;
      if (!o.directory && o.rate * nch > EVENT_RATE_LIMIT) throw new InvalidInputError({ what: `${this.name} directory`, value: undefined, reason: `${o.rate * nch} samples/s is above ${EVENT_RATE_LIMIT} S/s for events: give a directory for the .npy stream file` });
      const flight: Flight = { t0: Date.now() / 1000, rows: 0, collected: 0, pending: [], emitted: 0, datums: 0, done: new Status<unknown>({ name: `${this.name}.complete()` }) };
      this.#flight = flight;
      if (o.directory) {
        const path = resolve(join(o.directory, `${this.name}_${newUid()}.npy`));
        flight.file = new NpyAppender(path, nch);
        flight.resource = { uid: newUid(), data_key: this.name, mimetype: 'application/x-npy', uri: pathToFileURL(path).href, parameters: { shape: [nch], dtype_numpy: '<f8', columns: Object.keys(this.signals), rate: o.rate } };
      }
      if (this.#mock) {
        flight.done.setFinished();
        return Status.finished<unknown>(undefined, name);
      }
      // A fly scan has its own task (the on-demand one stays as it is).
      const task = new DaqTask(this.#lib!, this.name, 'ai', this.physical, { measurement: o.measurement ?? 'voltage', min: o.min ?? (o.measurement === 'current' ? -0.02 : -10), max: o.max ?? (o.measurement === 'current' ? 0.02 : 10), ...(o.terminal ? { terminal: o.terminal } : {}) });
      try {
        const finite = o.samples !== undefined;
        task.configureTiming({ rate: o.rate, mode: finite ? 'finite' : 'continuous', samples: finite ? o.samples! : o.bufferSize ?? 0 });
        if (o.trigger) task.configureTrigger({ source: o.trigger, edge: o.triggerEdge ?? 'rising' });
        const chunk = o.chunk ?? Math.max(1, Math.floor(o.rate / 10));
        task.stream(chunk, (data, rows) => this.#onBlock(flight, data, rows), () => flight.done.setFinished(), (e) => this.#onFault(flight, e));
      } catch (e) {
        task.clear();
        flight.file?.close();
        throw e;
      }
      this.#flyTask = task;
      return Status.finished<unknown>(undefined, name);
    } catch (e) {
      return Status.failed<unknown>(e, name);
    }
  }

  #flyTask: DaqTask | undefined;

  #onBlock(flight: Flight, data: Float64Array, rows: number): void {
    const nch = this.physical.length;
    if (flight.file) flight.file.append(data, rows);
    else {
      const keys = Object.values(this.signals).map((s) => s.name);
      const rate = this.#options.rate!;
      for (let i = 0; i < rows; i++) {
        const t = flight.t0 + (flight.rows + i) / rate;
        const ev: PartialEvent = { data: {}, timestamps: {}, time: t };
        for (let c = 0; c < nch; c++) {
          ev.data[keys[c]!] = data[i * nch + c]!;
          ev.timestamps[keys[c]!] = t;
        }
        flight.pending.push(ev);
      }
    }
    flight.rows += rows;
  }

  #onFault(flight: Flight, e: Error): void {
    flight.error = e;
    flight.file?.close();
    const task = this.#flyTask;
    this.#flyTask = undefined;
    // Clear off this call stack: the fault may arrive inside NI's callback.
    setImmediate(() => {
      task?.clear();
      if (!flight.done.done) flight.done.setException(e);
    });
  }

  /** Finite fly scans: finish when every sample was read. Continuous: stop acquiring (after reading what is buffered). */
  complete(): Status<unknown> {
    const flight = this.#flight;
    if (!flight) return Status.failed<unknown>(new InvalidStateError(`${this.name}: complete() before kickoff()`), `${this.name}.complete()`);
    if (flight.error) return Status.failed<unknown>(flight.error, `${this.name}.complete()`);
    if (this.#options.samples === undefined && !flight.done.done) {
      return Status.wrap(async () => {
        const task = this.#flyTask;
        this.#flyTask = undefined;
        if (task) {
          await task.stopAsync();
          task.clear();
        }
        flight.file?.close();
        if (flight.error) throw flight.error;
        if (!flight.done.done) flight.done.setFinished();
      }, { name: `${this.name}.complete()`, timeoutMs: this.#options.timeoutMs ?? 10_000 });
    }
    // A finite scan lasts samples/rate; allow timeoutMs more (a start trigger that never comes ends here).
    const afterMs = Math.ceil(((this.#options.samples ?? 0) / (this.#options.rate ?? 1)) * 1000 + (this.#options.timeoutMs ?? 10_000));
    const timer = setTimeout(() => {
      if (!flight.done.done) this.#onFault(flight, new TimeoutError({ operation: `${this.name}.complete()`, afterMs, detail: ' (the finite acquisition did not finish)' }));
    }, afterMs);
    flight.done.addCallback(() => {
      clearTimeout(timer);
      const task = this.#flyTask;
      this.#flyTask = undefined;
      task?.clear();
      flight.file?.close();
    });
    return flight.done;
  }

  /** True while a fly scan or a waveform runs. */
  get busy(): boolean {
    return this.#flyTask !== undefined || this.#waveform !== undefined;
  }

  /** Rows acquired in the current (or last) fly scan. */
  getIndex(): number {
    return this.#flight?.rows ?? 0;
  }

  /** What collect / collectAssetDocs deliver: a number per channel (events) or one `[channels]` row per scan (stream file). */
  describeCollect(): DataKeys {
    const keys = Object.values(this.signals);
    const units = this.#options.measurement === 'current' ? 'A' : 'V';
    if (this.#options.directory) return { [this.name]: { source: `nidaqmx://${this.#options.channels}`, dtype: 'array', shape: [keys.length], dtype_numpy: '<f8', external: 'STREAM:', units } };
    return Object.fromEntries(keys.map((s, i) => [s.name, { source: `nidaqmx://${this.physical[i]!.name}`, dtype: 'number', shape: [], dtype_numpy: '<f8', units }]));
  }

  /** Event rows acquired since the last collect; after a fault, the rows before it, then the fault. */
  collect(): PartialEvent[] {
    const flight = this.#flight;
    if (!flight) return [];
    const out = flight.pending;
    flight.pending = [];
    flight.collected += out.length;
    if (out.length === 0 && flight.error) throw flight.error;
    return out;
  }

  /**
   * With `directory` only (the run engine uses asset documents when a device has this method):
   * the stream_resource (once) and a stream_datum for the rows written since the last call (up to
   * `index`); after a fault, the rows before it, then the fault.
   */
  readonly collectAssetDocs?: (index?: number) => Array<[string, Record<string, unknown>]>;

  #assetDocs(index?: number): Array<[string, Record<string, unknown>]> {
    const flight = this.#flight;
    if (!flight?.resource) return [];
    const stop = Math.min(index ?? flight.rows, flight.rows);
    const out: Array<[string, Record<string, unknown>]> = [];
    if (stop > flight.emitted) {
      if (flight.emitted === 0) out.push(['stream_resource', { ...flight.resource }]);
      const datum: StreamDatum = { uid: `${flight.resource.uid}/${flight.datums++}`, stream_resource: flight.resource.uid, descriptor: '', seq_nums: { start: 0, stop: 0 }, indices: { start: flight.emitted, stop } };
      out.push(['stream_datum', { ...datum }]);
      flight.emitted = stop;
    } else if (flight.error) throw flight.error;
    return out;
  }

  /** Stop acquisitions and waveforms (the on-demand task stays). */
  async stop(): Promise<void> {
    this.#stopWaveform();
    const task = this.#flyTask;
    this.#flyTask = undefined;
    if (task) {
      await task.stopAsync().catch(() => undefined);
      task.clear();
    }
    this.#flight?.file?.close();
    if (this.#flight && !this.#flight.done.done) this.#flight.done.setException(new InvalidStateError(`${this.name}: stopped`));
  }

  /** Clear every task of this device (idempotent). */
  async close(): Promise<void> {
    await this.stop();
    this.#task?.clear();
    this.#task = undefined;
  }
}

/** One entry per line for digital channels. */
function expand(chans: PhysicalChannel[]): PhysicalChannel[] {
  const out: PhysicalChannel[] = [];
  for (const c of chans) {
    const [a, b] = c.lines ?? [0, 7];
    const step = a <= b ? 1 : -1;
    for (let l = a; ; l += step) {
      out.push({ device: c.device, type: 'port', index: c.index, lines: [l, l], name: `${c.device}/port${c.index}/line${l}` });
      if (l === b) break;
    }
  }
  return out;
}
