/**
 * One NI-DAQmx task: its channels (analog input voltage/current, analog output, digital lines),
 * sample-clock timing and start trigger, on-demand reads and writes, finite acquisitions waited
 * for off the main thread, and continuous acquisition delivered by DAQmxRegisterEveryNSamplesEvent
 * callbacks (which NI runs on its own thread; koffi queues them to the JS thread). The task is
 * cleared by {@link DaqTask.clear}, when a configuration call fails, and at process exit.
 * @module
 */
import { InvalidStateError, toError } from '../../core/errors.js';
import type { RegisteredCallback } from '../../protocols/ffi/index.js';
import type { DaqmxLibrary, TaskHandle } from './library.js';
import { DAQMX, defaultBufferSize, lineCount, TERMINAL_CONFIGS, type ChannelKind, type PhysicalChannel, type TerminalConfig } from './protocol.js';

/** Analog channel settings. */
export interface AnalogConfig {
  /** Voltage (V) or current (A) input; outputs are voltage. */
  measurement?: 'voltage' | 'current';
  /** Input terminal configuration. */
  terminal?: TerminalConfig;
  /** Range, in V (or A for current). */
  min: number;
  max: number;
  /** Current inputs: where the shunt resistor is, and its value in ohms when external. */
  shunt?: 'default' | 'internal' | 'external';
  shuntOhms?: number;
}

/** Sample-clock timing. */
export interface TimingConfig {
  /** Samples per second per channel. */
  rate: number;
  /** Finite: `samples` per channel then done; continuous: until stopped. */
  mode: 'finite' | 'continuous';
  /** Finite: samples per channel; continuous: buffer size hint per channel. */
  samples: number;
}

/** A digital-edge start trigger. */
export interface TriggerConfig {
  /** Terminal, e.g. `/Dev1/PFI0`. */
  source: string;
  edge?: 'rising' | 'falling';
}

/** How long a stopped task's callbacks stay registered (see DaqTask's #dropCallbacks), ms. */
const CALLBACK_GRACE_MS = 2000;

/** What {@link DaqTask.stream} delivers: `rows` scans of every channel, scan-major. */
export type ScanBlock = (data: Float64Array, rows: number) => void;

/** One NI-DAQmx task (see the module notes). */
export class DaqTask {
  /** The kind of its channels. */
  readonly kind: ChannelKind;
  /** Channels in task order (for digital tasks: one per line). */
  readonly channels: readonly PhysicalChannel[];
  readonly #lib: DaqmxLibrary;
  readonly #device: string;
  #handle: TaskHandle | undefined;
  #timing: TimingConfig | undefined;
  #callbacks: RegisteredCallback[] = [];
  #running = false;

  /** Create the task and its channels; on any failure the task is cleared and the error thrown. */
  constructor(lib: DaqmxLibrary, device: string, kind: ChannelKind, channels: readonly PhysicalChannel[], analog?: AnalogConfig) {
    this.#lib = lib;
    this.#device = device;
    this.kind = kind;
    this.#handle = lib.createTask('', device);
    try {
      const list = channels.map((c) => c.name).join(', ');
      if (kind === 'ai') {
        const a = analog ?? { min: -10, max: 10 };
        const term = TERMINAL_CONFIGS[a.terminal ?? 'default'];
        if (a.measurement === 'current') {
          const loc = a.shunt === 'internal' ? DAQMX.Internal : a.shunt === 'external' ? DAQMX.External : DAQMX.Default;
          lib.call('CreateAICurrentChan', device, this.#handle, list, '', term, a.min, a.max, DAQMX.Amps, loc, a.shuntOhms ?? 249, null);
        } else lib.call('CreateAIVoltageChan', device, this.#handle, list, '', term, a.min, a.max, DAQMX.Volts, null);
        this.channels = channels;
      } else if (kind === 'ao') {
        const a = analog ?? { min: -10, max: 10 };
        lib.call('CreateAOVoltageChan', device, this.#handle, list, '', a.min, a.max, DAQMX.Volts, null);
        this.channels = channels;
      } else {
        lib.call(kind === 'di' ? 'CreateDIChan' : 'CreateDOChan', device, this.#handle, list, '', DAQMX.ChanPerLine);
        this.channels = expandLines(channels);
      }
    } catch (e) {
      this.clear();
      throw e;
    }
  }

  /** True while started. */
  get running(): boolean {
    return this.#running;
  }

  /** The sample-clock timing, if configured. */
  get timing(): TimingConfig | undefined {
    return this.#timing;
  }

  #h(): TaskHandle {
    if (this.#handle === undefined) throw new InvalidStateError(`${this.#device}: the NI-DAQmx task was cleared`);
    return this.#handle;
  }

  /** Configure the sample clock (onboard clock, rising edge). */
  configureTiming(t: TimingConfig): void {
    this.#lib.call('CfgSampClkTiming', this.#device, this.#h(), '', t.rate, DAQMX.Rising, t.mode === 'finite' ? DAQMX.FiniteSamps : DAQMX.ContSamps, t.samples);
    this.#timing = { ...t };
  }

  /** Start on a digital edge instead of at once. */
  configureTrigger(t: TriggerConfig): void {
    this.#lib.call('CfgDigEdgeStartTrig', this.#device, this.#h(), t.source, t.edge === 'falling' ? DAQMX.Falling : DAQMX.Rising);
  }

  /** Start the task. */
  start(): void {
    this.#lib.call('StartTask', this.#device, this.#h());
    this.#running = true;
  }

  /** Stop the task (idempotent) and forget its callbacks. */
  stop(): void {
    if (this.#handle !== undefined && this.#running) this.#lib.call('StopTask', this.#device, this.#handle);
    this.#running = false;
    this.#dropCallbacks();
  }

  /** Stop on a worker thread (a callback waiting for the JS thread can finish meanwhile). */
  async stopAsync(): Promise<void> {
    if (this.#handle !== undefined && this.#running) await this.#lib.callAsync('StopTask', this.#device, this.#handle);
    this.#running = false;
    this.#dropCallbacks();
  }

  /** Stop and clear the task; idempotent, never throws. */
  clear(): void {
    const h = this.#handle;
    this.#handle = undefined;
    this.#running = false;
    if (h !== undefined) this.#lib.clearTask(h);
    this.#dropCallbacks();
  }

  #dropCallbacks(): void {
    // NI's thread may already be inside a callback (its call queued to the JS thread) when the
    // task stops: unregister a little later, so that call still finds its function (which then
    // sees the task gone and does nothing) instead of an unregistered pointer.
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    if (callbacks.length === 0) return;
    setTimeout(() => {
      for (const c of callbacks) c.close();
    }, CALLBACK_GRACE_MS).unref();
  }

  /** Read one sample of every analog input now (on-demand). */
  readAnalog(timeoutS = 10): number[] {
    const n = this.channels.length;
    const buf = new Float64Array(n);
    const got = [0];
    this.#lib.call('ReadAnalogF64', this.#device, this.#h(), 1, timeoutS, DAQMX.GroupByScanNumber, buf, n, got, null);
    return [...buf];
  }

  /** Read `samples` per channel (Auto: all) into a scan-major array; resolves with the rows read. Runs off the main thread. */
  async readAnalogBlock(buf: Float64Array, samples: number, timeoutS: number): Promise<number> {
    const got = [0];
    await this.#lib.callAsync('ReadAnalogF64', this.#device, this.#h(), samples, timeoutS, DAQMX.GroupByScanNumber, buf, buf.length, got, null);
    return got[0]!;
  }

  /** Wait (off the main thread) until a finite task is done. */
  async waitDone(timeoutS: number): Promise<void> {
    await this.#lib.callAsync('WaitUntilTaskDone', this.#device, this.#h(), timeoutS);
  }

  /** Write one value per analog output now (auto start). */
  writeAnalog(values: readonly number[]): void {
    const arr = Float64Array.from(values);
    this.#lib.call('WriteAnalogF64', this.#device, this.#h(), 1, 1, 10, DAQMX.GroupByScanNumber, arr, [0], null);
  }

  /** Write a waveform (scan-major, `rows` samples per channel) to a timed task; starts it. */
  writeWaveform(data: Float64Array, rows: number): void {
    this.#lib.call('WriteAnalogF64', this.#device, this.#h(), rows, 1, 10, DAQMX.GroupByScanNumber, data, [0], null);
    this.#running = true;
  }

  /** Read every line now (one per channel). */
  readLines(): boolean[] {
    const n = this.channels.length;
    const buf = new Uint8Array(n);
    this.#lib.call('ReadDigitalLines', this.#device, this.#h(), 1, 10, DAQMX.GroupByScanNumber, buf, n, [0], [0], null);
    return [...buf].map((b) => b !== 0);
  }

  /** Write every line now (one value per channel; auto start). */
  writeLines(values: readonly boolean[]): void {
    const buf = Uint8Array.from(values.map((v) => (v ? 1 : 0)));
    this.#lib.call('WriteDigitalLines', this.#device, this.#h(), 1, 1, 10, DAQMX.GroupByScanNumber, buf, [0], null);
  }

  /**
   * Start a timed analog input and deliver its data: every `chunk` samples (EveryNSamples
   * callback, on the JS thread) all available scans are read and handed to `onBlock`; a finite
   * task's rest is read on its Done event, then `onDone` runs. A failed read (overflow -200279)
   * goes to `onError` and the deliveries stop.
   */
  stream(chunk: number, onBlock: ScanBlock, onDone: () => void, onError: (e: Error) => void): void {
    const timing = this.#timing;
    if (!timing) throw new InvalidStateError(`${this.#device}: continuous acquisition needs a sample rate`);
    const nch = this.channels.length;
    const bufRows = Math.max(timing.samples, chunk, timing.mode === 'continuous' ? defaultBufferSize(timing.rate) : 0); // a read of everything available fits
    const buf = new Float64Array(bufRows * nch);
    let failed = false;
    let finished = false;
    const handle = this.#h();
    let total = 0;
    // Continuous: DAQmx_Val_Auto reads every scan available. Finite: Auto would wait for the whole
    // acquisition, so read what the event announced (a chunk, or the rest on the Done event).
    const drain = (rest = false): void => {
      if (failed || finished || this.#handle !== handle || !this.#running) return;
      const want = timing.mode === 'continuous' ? DAQMX.Auto : rest ? timing.samples - total : Math.min(chunk, timing.samples - total);
      if (want === 0) return;
      try {
        const got = [0];
        this.#lib.call('ReadAnalogF64', this.#device, this.#handle, want, 0, DAQMX.GroupByScanNumber, buf, buf.length, got, null);
        total += got[0]!;
        if (got[0]! > 0) onBlock(buf, got[0]!);
      } catch (e) {
        failed = true;
        onError(toError(e));
      }
    };
    const report = (e: Error): void => {
      if (!failed) {
        failed = true;
        onError(e);
      }
    };
    const everyN = this.#lib.callback('everyN', () => {
      drain();
      return 0;
    }, report);
    this.#callbacks.push(everyN);
    this.#lib.call('RegisterEveryNSamplesEvent', this.#device, this.#h(), DAQMX.Acquired_Into_Buffer, chunk, 0, everyN.pointer, null);
    if (timing.mode === 'finite') {
      const done = this.#lib.callback('done', (_task: unknown, status: number) => {
        if (status < 0) report(this.#errorOf(status, 'DoneEvent'));
        else drain(true);
        if (!failed && !finished) {
          finished = true;
          onDone();
        }
        return 0;
      }, report);
      this.#callbacks.push(done);
      this.#lib.call('RegisterDoneEvent', this.#device, this.#h(), 0, done.pointer, null);
    }
    this.start();
  }

  #errorOf(code: number, fn: string): Error {
    try {
      this.#lib.check(code, fn, this.#device);
    } catch (e) {
      return toError(e);
    }
    return new InvalidStateError(`${this.#device}: ${fn} status ${code}`);
  }
}

/** One channel per line (NI's ChanPerLine) for digital tasks. */
function expandLines(channels: readonly PhysicalChannel[]): PhysicalChannel[] {
  const out: PhysicalChannel[] = [];
  for (const c of channels) {
    const [a, b] = c.lines ?? [0, lineCount(c) - 1];
    const step = a <= b ? 1 : -1;
    for (let l = a; ; l += step) {
      out.push({ device: c.device, type: 'port', index: c.index, lines: [l, l], name: `${c.device}/port${c.index}/line${l}` });
      if (l === b) break;
    }
  }
  return out;
}
