/**
 * The BioLogic vendor backend of {@link PotentiostatChannel}: one channel of an EClib instrument.
 * Connect (`BL_Connect`, channel plugged?, `BL_LoadFirmware`, `BL_GetChannelInfos`); per
 * technique the parameters built by `BL_Define*Parameter`, `BL_LoadTechnique(first, last)` (a
 * PEIS frequency list queues one single-frequency PEIS per frequency), `BL_StartChannel`, then
 * `BL_GetData` (into buffers allocated once) polled every `pollMs` until the channel stops and
 * its memory is empty, records decoded per technique in the layouts of the instrument's family
 * (VMP3 or SP-300, from the device code BL_Connect reports). Status codes become DeviceError through
 * `BL_GetErrorMsg` (lost instrument: DisconnectedError).
 * @module
 */
import { DeviceError, DisconnectedError, InvalidInputError } from '../../core/errors.js';
import { PotentiostatChannel } from '../potentiostat/channel.js';
import type { PotentiostatBackend, PstatPoint, PstatReadings, TechniqueRun } from '../potentiostat/backend.js';
import type { CurrentRange, Technique, TechniqueKind } from '../potentiostat/techniques.js';
import { GetDataReader, type EClib } from './io.js';
import { decodeRecords, DISCONNECT_CODES, eccOf, familyOf, MAX_FREQUENCY_LIST, type EccTechnique, type InstrumentFamily } from './protocol.js';

/** Options of a BioLogic channel. */
export interface BiologicOptions {
  /** Instrument address: IP (`192.168.200.240`) or `USB0`. */
  address: string;
  /** Channel, 1-based as EC-Lab shows it. */
  channel: number;
  /** BL_GetData poll period, ms (default 20). */
  pollMs?: number;
  /** Connect timeout, s (default 5). */
  connectTimeoutS?: number;
}

/** The BioLogic backend (see the module notes). */
export class BiologicBackend implements PotentiostatBackend {
  readonly techniques: readonly TechniqueKind[] = ['ocv', 'ca', 'cp', 'lsv', 'cv', 'peis'];
  #id = -1;
  #model: string;
  readonly #lib: EClib;
  readonly #o: BiologicOptions;
  readonly #reader = new GetDataReader();
  #family: InstrumentFamily = 'vmp3';

  constructor(lib: EClib, options: BiologicOptions) {
    if (!Number.isInteger(options.channel) || options.channel < 1 || options.channel > 128) {
      throw new InvalidInputError({ what: 'biologic channel', value: options.channel, reason: 'must be a whole number 1..128 (1-based, as EC-Lab shows it)' });
    }
    this.#lib = lib;
    this.#o = options;
    this.#model = `BioLogic ${options.address} ch ${options.channel}`;
  }

  get model(): string {
    return this.#model;
  }

  get #ch(): number {
    return this.#o.channel - 1;
  }

  /** Throw the typed error of an EClib status. */
  #check(code: number, fn: string): void {
    if (code >= 0) return;
    if (DISCONNECT_CODES.has(code)) throw new DisconnectedError({ device: this.#model, detail: `${fn}: ${this.#lib.lib.describe(code)}`, code: String(code) });
    this.#lib.lib.check(code, `${fn} (${this.#model})`);
  }

  unsupported(t: Technique): string | undefined {
    if (eccOf(t, this.#family) === undefined) return t.kind === 'peis' ? `a PEIS frequency list of more than ${MAX_FREQUENCY_LIST} frequencies (each is one queued technique); give a log range` : `no .ecc mapping for ${t.kind}`;
    return undefined;
  }

  async connect(): Promise<void> {
    if (this.#id >= 0) return;
    const id: [number] = [-1];
    const infos: Record<string, number> = {};
    this.#check(this.#lib.Connect(this.#o.address, this.#o.connectTimeoutS ?? 5, id, infos), 'BL_Connect');
    this.#id = id[0];
    try {
      if (!this.#lib.IsChannelPlugged(this.#id, this.#ch)) {
        throw new DeviceError({ device: this.#model, vendorMessage: `channel ${this.#o.channel} is not plugged (the instrument has ${infos['NumberOfChannels']} channels)`, vendorCode: -3, kind: 'channel' });
      }
      const mask = new Uint8Array(Math.max(16, this.#o.channel));
      mask[this.#ch] = 1;
      const results = new Int32Array(mask.length);
      this.#check(this.#lib.LoadFirmware(this.#id, mask, results, mask.length, false, false, null, null), 'BL_LoadFirmware');
      this.#check(results[this.#ch]!, 'BL_LoadFirmware (channel result)');
      this.#check(this.#lib.GetChannelInfos(this.#id, this.#ch, {}), 'BL_GetChannelInfos');
      this.#family = familyOf(infos['DeviceCode']!);
      this.#model = `BioLogic device ${infos['DeviceCode']} (${this.#family === 'sp300' ? 'SP-300' : 'VMP3'} family) ${this.#o.address} ch ${this.#o.channel}`;
    } catch (e) {
      this.#lib.Disconnect(this.#id);
      this.#id = -1;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.#id < 0) return;
    this.#lib.StopChannel(this.#id, this.#ch);
    this.#lib.Disconnect(this.#id);
    this.#id = -1;
  }

  async setCell(on: boolean): Promise<void> {
    // EClib switches the cell with each technique; off means stop the channel.
    if (!on && this.#id >= 0) this.#check(this.#lib.StopChannel(this.#id, this.#ch), 'BL_StopChannel');
  }

  async setCurrentRange(_range: CurrentRange): Promise<void> {
    // EClib takes the range with each technique (I_Range); nothing to send now.
  }

  async readNow(): Promise<PstatReadings> {
    const v: Record<string, number> = {};
    this.#check(this.#lib.GetCurrentValues(this.#id, this.#ch, v), 'BL_GetCurrentValues');
    return { ewe: v['Ewe']!, i: v['I']!, state: v['State'] === 1 ? 'running' : 'idle', cellOn: v['State'] === 1 };
  }

  /** The instrument's family (VMP3 or SP-300 record layouts and `.ecc` names), known once connected. */
  get family(): InstrumentFamily {
    return this.#family;
  }

  /** Load `t`'s techniques: parameters by BL_Define*Parameter, then BL_LoadTechnique (first/last mark the queue). */
  #load(t: Technique): void {
    const queue: EccTechnique[] = eccOf(t, this.#family)!;
    const k = this.#lib.koffi;
    queue.forEach((ecc, q) => {
      const arr = k.alloc('TEccParam_t', ecc.params.length);
      try {
        ecc.params.forEach((p, i) => {
          const out: Record<string, unknown> = {};
          const code = p.type === 'single' ? this.#lib.DefineSglParameter(p.label, p.value as number, p.index, out)
            : p.type === 'int' ? this.#lib.DefineIntParameter(p.label, p.value as number, p.index, out)
              : this.#lib.DefineBoolParameter(p.label, p.value as boolean, p.index, out);
          this.#check(code, `BL_Define${p.type === 'single' ? 'Sgl' : p.type === 'int' ? 'Int' : 'Bool'}Parameter(${p.label})`);
          k.encode(arr, i * 76, 'TEccParam_t', out);
        });
        this.#check(this.#lib.LoadTechnique(this.#id, this.#ch, ecc.file, { len: ecc.params.length, pParams: arr }, q === 0, q === queue.length - 1, false), `BL_LoadTechnique(${ecc.file})`);
      } finally {
        k.free(arr);
      }
    });
  }

  async start(t: Technique, onData: () => void): Promise<TechniqueRun> {
    if (this.#id < 0) throw new DeviceError({ device: this.#model, vendorMessage: 'not connected', kind: 'not-connected' });
    this.#load(t);
    this.#check(this.#lib.StartChannel(this.#id, this.#ch), 'BL_StartChannel');
    const points: PstatPoint[] = [];
    let count = 0;
    let elapsed = 0;
    let finished = false;
    let settle!: (e?: Error) => void;
    const done = new Promise<void>((res, rej) => (settle = (e) => (e ? rej(e) : res())));
    const reader = this.#reader;
    const poll = (): boolean => {
      for (;;) {
        this.#check(reader.read(this.#lib, this.#id, this.#ch), 'BL_GetData');
        if (reader.rows > 0) {
          const added = decodeRecords(reader.block(this.#family), reader.words, reader.singles, points);
          count += added;
          elapsed = reader.elapsedS;
          if (added > 0) onData();
          continue;
        }
        return reader.state === 0;
      }
    };
    const timer = setInterval(() => {
      if (finished) return;
      try {
        if (poll()) finish();
      } catch (e) {
        finish(e as Error);
      }
    }, this.#o.pollMs ?? 20);
    const finish = (e?: Error): void => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      settle(e);
    };
    return {
      done,
      take: () => points.splice(0, points.length),
      progress: () => ({ points: count, elapsedS: elapsed || (points.at(-1)?.t ?? 0), cycle: (points.at(-1) as { cycle?: number } | undefined)?.cycle ?? 0 }),
      stop: async () => {
        if (finished) return;
        this.#check(this.#lib.StopChannel(this.#id, this.#ch), 'BL_StopChannel');
        try {
          poll();
          finish();
        } catch (e) {
          finish(e as Error);
        }
        await done.catch(() => undefined);
      },
    };
  }
}

/** Create a BioLogic channel named `name` over a loaded EClib (not connected yet). */
export function createBiologic(name: string, lib: EClib, options: BiologicOptions): PotentiostatChannel {
  return new PotentiostatChannel(name, new BiologicBackend(lib, options));
}
