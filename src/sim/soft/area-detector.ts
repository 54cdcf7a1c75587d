/**
 * SoftAreaDetector: an in-process stand-in for a camera that writes real frame files.
 *
 * Stage opens a LABRIG_RAW file (see raw-frames.ts); each trigger writes one frame whose pixels
 * follow a deterministic pattern of the frame index; the data themselves never travel in events.
 * In `datum` mode (ophyd v1 style) `read()` returns a datum id and {@link
 * SoftAreaDetector.collectAssetDocs} yields `resource` then one `datum` per frame, for the run
 * engine to emit before the event that references them. In `stream` mode (ophyd-async style)
 * `describe()` marks the key `external: 'STREAM:'`, `read()` returns nothing for it, and
 * collectAssetDocs yields `stream_resource` then `stream_datum` documents whose `descriptor`
 * (`''`) and `seq_nums` (`{0, 0}`) are placeholders the run engine fills in.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Status } from '../../core/status.js';
import { CanceledError, InvalidInputError, InvalidStateError, LabrigError } from '../../core/errors.js';
import type { Collectable, DataKeys, Readable, Readings, Stageable, Stoppable, Triggerable } from '../../core/protocols.js';
import type { Datum, Resource, StreamDatum, StreamResource } from '../../core/documents/types.js';
import { newUid } from '../../core/documents/compose.js';
import { LABRIG_RAW_MIMETYPE, LABRIG_RAW_SPEC, RawFrameFile, checkShape, frameSize } from './raw-frames.js';

/** The same fields as T, as an anonymous type (so it fits `Record<string, unknown>`, as Collectable asks). */
type Plain<T> = { [K in keyof T]: T[K] };
/** An asset document for the run engine: `[name, doc]`. */
export type AssetDocument =
  | ['resource', Plain<Resource>] | ['datum', Plain<Datum>]
  | ['stream_resource', Plain<StreamResource>] | ['stream_datum', Plain<StreamDatum>];

/** Options of a {@link SoftAreaDetector}. */
export interface SoftAreaDetectorOptions {
  /** Device name; also the data key. */
  name: string;
  /** Folder the frame files go to (created if missing). */
  directory: string;
  /** Frame shape in pixels, row-major (default [4, 5]). */
  shape?: number[];
  /** `datum` (resource/datum, FILESTORE:) or `stream` (stream_resource/stream_datum, STREAM:); default `datum`. */
  mode?: 'datum' | 'stream';
  /** Simulated exposure per trigger in ms (default 0: the trigger completes at once). */
  exposureMs?: number;
  /** Pixel value from frame index (from 0 per stage) and flat pixel index; default `1000 * frame + pixel`. */
  pattern?: (frame: number, pixel: number) => number;
  /** Clock in seconds since the epoch (default `Date.now() / 1000`). */
  now?: () => number;
}

/** Simulated camera writing LABRIG_RAW frames: Triggerable, Readable, Stageable, Stoppable and Collectable. */
export class SoftAreaDetector implements Readable, Triggerable, Stageable, Stoppable, Collectable {
  readonly name: string;
  /** Absolute folder of the frame files. */
  readonly directory: string;
  /** Frame shape in pixels. */
  readonly shape: readonly number[];
  readonly mode: 'datum' | 'stream';
  /** Simulated exposure per trigger, in ms. */
  exposureMs: number;
  readonly #pattern: (frame: number, pixel: number) => number;
  readonly #now: () => number;
  #file: RawFrameFile | undefined;
  #lastPath: string | undefined;
  #resource: Resource | undefined;
  #streamResource: StreamResource | undefined;
  #pending: AssetDocument[] = [];
  #streamEmitted = 0;
  #datumCounter = 0;
  #last: { value: string; timestamp: number } | undefined;
  #inFlight: { status: Status<unknown>; timer: ReturnType<typeof setTimeout> } | undefined;
  #failNext: Error | undefined;

  constructor(options: SoftAreaDetectorOptions) {
    if (typeof options?.name !== 'string' || options.name === '') throw new InvalidInputError({ what: 'SoftAreaDetector name', value: options?.name, reason: 'must be a non-empty string' });
    if (typeof options.directory !== 'string' || options.directory === '') {
      throw new InvalidInputError({ what: `${options.name} directory`, value: options.directory, reason: 'must be a non-empty path' });
    }
    this.name = options.name;
    this.directory = resolve(options.directory);
    this.shape = checkShape(`${options.name} shape`, options.shape ?? [4, 5]);
    this.mode = options.mode ?? 'datum';
    if (this.mode !== 'datum' && this.mode !== 'stream') throw new InvalidInputError({ what: `${options.name} mode`, value: this.mode, reason: "must be 'datum' or 'stream'" });
    this.exposureMs = options.exposureMs ?? 0;
    if (!(this.exposureMs >= 0)) throw new InvalidInputError({ what: `${options.name} exposureMs`, value: this.exposureMs, reason: 'must be >= 0' });
    this.#pattern = options.pattern ?? ((frame, pixel) => 1000 * frame + pixel);
    this.#now = options.now ?? (() => Date.now() / 1000);
  }

  /** Whether the detector is staged (a frame file is open). */
  get staged(): boolean {
    return this.#file !== undefined;
  }

  /** Path of the current (or last) frame file, if any. */
  get filePath(): string | undefined {
    return this.#file?.path ?? this.#lastPath;
  }

  /** Frames written since the last stage. */
  getIndex(): number {
    return this.#file?.frames ?? 0;
  }

  /** Make the next trigger fail with `error` (fault injection for tests). */
  failNextTrigger(error: Error): void {
    this.#failNext = error;
  }

  /** Return the frame with index `frame` as the pattern defines it (what a trigger writes). */
  expectedFrame(frame: number): Float64Array {
    const out = new Float64Array(frameSize(this.shape));
    for (let i = 0; i < out.length; i++) out[i] = this.#pattern(frame, i);
    return out;
  }

  /** Open a new frame file and queue its resource (or stream_resource) document. */
  stage(): Status<unknown> {
    if (this.#file) return Status.failed<unknown>(new InvalidStateError(`${this.name} is already staged`), `${this.name}.stage()`);
    try {
      mkdirSync(this.directory, { recursive: true });
      const fileName = `${this.name}_${newUid()}.raw`;
      this.#file = new RawFrameFile(join(this.directory, fileName), this.shape);
      this.#lastPath = this.#file.path;
      this.#pending = [];
      this.#streamEmitted = 0;
      this.#datumCounter = 0;
      this.#last = undefined;
      if (this.mode === 'datum') {
        this.#resource = {
          uid: newUid(),
          spec: LABRIG_RAW_SPEC,
          root: this.directory,
          resource_path: fileName,
          resource_kwargs: { shape: [...this.shape], dtype_numpy: '<f8' },
          path_semantics: process.platform === 'win32' ? 'windows' : 'posix',
        };
        this.#pending.push(['resource', this.#resource]);
      } else {
        this.#streamResource = {
          uid: newUid(),
          data_key: this.name,
          mimetype: LABRIG_RAW_MIMETYPE,
          uri: pathToFileURL(this.#file.path).href,
          parameters: { shape: [...this.shape], dtype_numpy: '<f8', byte_order: 'little' },
        };
      }
      return Status.finished<unknown>(undefined, `${this.name}.stage()`);
    } catch (err) {
      this.#file = undefined;
      const e = err instanceof LabrigError ? err : new LabrigError({ code: 'WRITE_FAILED', message: `${this.name}: cannot stage in ${this.directory}: ${(err as Error).message}`, cause: err });
      return Status.failed<unknown>(e, `${this.name}.stage()`);
    }
  }

  /** Cancel any exposure and close the frame file (its sidecar records the frame count); idempotent. */
  unstage(): Status<unknown> {
    this.#cancelExposure(`${this.name} unstaged`);
    this.#file?.close();
    this.#file = undefined;
    return Status.finished<unknown>(undefined, `${this.name}.unstage()`);
  }

  /** Expose for `exposureMs`, write one frame, and finish; fails if not staged or already exposing. */
  trigger(): Status<unknown> {
    const name = `${this.name}.trigger()`;
    if (!this.#file) return Status.failed<unknown>(new InvalidStateError(`${this.name}: trigger before stage`), name);
    if (this.#inFlight) return Status.failed<unknown>(new InvalidStateError(`${this.name}: trigger while an exposure is in progress`), name);
    const status = new Status<unknown>({ name });
    const fire = (): void => {
      this.#inFlight = undefined;
      try {
        this.#acquire();
        status.setFinished();
      } catch (err) {
        status.setException(err);
      }
    };
    if (this.exposureMs === 0) {
      fire();
      return status;
    }
    const timer = setTimeout(fire, this.exposureMs);
    this.#inFlight = { status, timer };
    status.addCallback(() => {
      clearTimeout(timer);
      if (this.#inFlight?.status === status) this.#inFlight = undefined;
    });
    return status;
  }

  /** Abort an exposure in progress (its Status fails with CanceledError). */
  stop(): void {
    this.#cancelExposure(`${this.name} stopped`);
  }

  /** Return the reading of the last frame: a datum id (datum mode) or nothing (stream mode). */
  read(): Readings {
    if (this.mode === 'stream') return {};
    if (!this.#last) throw new InvalidStateError(`${this.name}: read before any frame was triggered`);
    return { [this.name]: { value: this.#last.value, timestamp: this.#last.timestamp } };
  }

  /** Describe the one data key: an external array of the frame shape. */
  describe(): DataKeys {
    return {
      [this.name]: {
        source: `sim://${this.name}/image`,
        dtype: 'array',
        shape: [...this.shape],
        dtype_numpy: '<f8',
        external: this.mode === 'datum' ? 'FILESTORE:' : 'STREAM:',
      },
    };
  }

  /** Describe what collectAssetDocs refers to (the same key as describe). */
  describeCollect(): DataKeys {
    return this.describe();
  }

  /**
   * Return the asset documents not yet collected, oldest first, and forget them. Datum mode: the
   * resource (once per stage) and a datum per frame. Stream mode: the stream_resource (once) and
   * one stream_datum for frames not yet covered, up to `index` (default: all written).
   */
  collectAssetDocs(index?: number): AssetDocument[] {
    if (this.mode === 'stream' && this.#streamResource) {
      const written = this.getIndex();
      const stop = index ?? written;
      if (!Number.isInteger(stop) || stop < this.#streamEmitted || stop > written) {
        throw new InvalidInputError({ what: `${this.name}.collectAssetDocs index`, value: index, reason: `must be an integer in [${this.#streamEmitted}, ${written}]` });
      }
      if (stop > this.#streamEmitted) {
        if (this.#streamEmitted === 0) this.#pending.push(['stream_resource', this.#streamResource]);
        this.#pending.push(['stream_datum', {
          uid: `${this.#streamResource.uid}/${this.#datumCounter++}`,
          stream_resource: this.#streamResource.uid,
          descriptor: '',
          seq_nums: { start: 0, stop: 0 },
          indices: { start: this.#streamEmitted, stop },
        }]);
        this.#streamEmitted = stop;
      }
    }
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  #acquire(): void {
    if (this.#failNext) {
      const err = this.#failNext;
      this.#failNext = undefined;
      throw err;
    }
    const file = this.#file;
    if (!file) throw new InvalidStateError(`${this.name}: unstaged during exposure`);
    const index = file.append(this.expectedFrame(file.frames));
    const timestamp = this.#now();
    if (this.mode === 'datum' && this.#resource) {
      const datum: Datum = { datum_id: `${this.#resource.uid}/${this.#datumCounter++}`, resource: this.#resource.uid, datum_kwargs: { frame: index } };
      this.#pending.push(['datum', datum]);
      this.#last = { value: datum.datum_id, timestamp };
    }
  }

  #cancelExposure(reason: string): void {
    const f = this.#inFlight;
    if (!f) return;
    this.#inFlight = undefined;
    clearTimeout(f.timer);
    f.status.setException(new CanceledError(reason));
  }
}
