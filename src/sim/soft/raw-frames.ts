/**
 * LABRIG_RAW: a minimal frame file format for simulated detectors, and its readers.
 *
 * A `.raw` file holds frames back to back, each `product(shape)` little-endian float64 values
 * in row-major order, with no header; a sidecar `<file>.json` records
 * `{ format, dtype_numpy: '<f8', shape, frames }`. Resources name the format `LABRIG_RAW`
 * (datum_kwargs `{ frame }`); stream resources use the mimetype `application/x-labrig-raw`.
 * @module
 */
import { closeSync, openSync, readSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError, LabrigError } from '../../core/errors.js';
import type { Datum, Resource, StreamDatum, StreamResource } from '../../core/documents/types.js';

/** Resource spec (handler name) of LABRIG_RAW files. */
export const LABRIG_RAW_SPEC = 'LABRIG_RAW';
/** Stream resource mimetype of LABRIG_RAW files. */
export const LABRIG_RAW_MIMETYPE = 'application/x-labrig-raw';

/** Number of values in one frame of `shape`. */
export function frameSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Check a frame shape: a non-empty list of positive integers. */
export function checkShape(what: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw new InvalidInputError({ what, value: shape, reason: 'must be a non-empty array of positive integers' });
  }
  return [...shape] as number[];
}

/** Append frames to a LABRIG_RAW file (synchronously, in order) and keep its sidecar up to date on close. */
export class RawFrameFile {
  /** Absolute path of the `.raw` file. */
  readonly path: string;
  readonly shape: readonly number[];
  #fd: number | undefined;
  #frames = 0;

  constructor(path: string, shape: readonly number[]) {
    this.path = path;
    this.shape = checkShape('RawFrameFile shape', shape);
    try {
      this.#fd = openSync(path, 'w');
      this.#writeSidecar();
    } catch (err) {
      if (this.#fd !== undefined) closeSync(this.#fd);
      throw new LabrigError({ code: 'WRITE_FAILED', message: `cannot create frame file ${path}: ${(err as Error).message}`, cause: err });
    }
  }

  /** Number of frames written. */
  get frames(): number {
    return this.#frames;
  }

  /** Append one frame; return its index (from 0). */
  append(frame: Float64Array): number {
    if (this.#fd === undefined) throw new LabrigError({ code: 'WRITE_FAILED', message: `frame file ${this.path} is closed` });
    if (frame.length !== frameSize(this.shape)) {
      throw new InvalidInputError({ what: `frame for ${this.path}`, value: frame.length, reason: `must hold ${frameSize(this.shape)} values (shape ${JSON.stringify(this.shape)})` });
    }
    const bytes = Buffer.alloc(frame.length * 8);
    for (let i = 0; i < frame.length; i++) bytes.writeDoubleLE(frame[i]!, i * 8);
    try {
      writeSync(this.#fd, bytes, 0, bytes.length, this.#frames * bytes.length);
    } catch (err) {
      throw new LabrigError({ code: 'WRITE_FAILED', message: `cannot write frame to ${this.path}: ${(err as Error).message}`, cause: err });
    }
    return this.#frames++;
  }

  /** Close the file and write the final sidecar; idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
    this.#writeSidecar();
  }

  #writeSidecar(): void {
    const meta = { format: LABRIG_RAW_SPEC, dtype_numpy: '<f8', byte_order: 'little', shape: this.shape, frames: this.#frames };
    writeFileSync(`${this.path}.json`, `${JSON.stringify(meta)}\n`);
  }
}

/** Read frames [start, stop) of a LABRIG_RAW file of the given frame shape. */
export function readRawFrames(path: string, shape: readonly number[], start: number, stop: number): Float64Array[] {
  checkShape('readRawFrames shape', shape);
  const n = frameSize(shape);
  const out: Float64Array[] = [];
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new LabrigError({ code: 'READ_FAILED', message: `cannot open frame file ${path}: ${(err as Error).message}`, cause: err });
  }
  try {
    const bytes = Buffer.alloc(n * 8);
    for (let f = start; f < stop; f++) {
      const got = readSync(fd, bytes, 0, bytes.length, f * bytes.length);
      if (got !== bytes.length) throw new InvalidInputError({ what: `frame ${f} of ${path}`, value: got, reason: `is truncated: wanted ${bytes.length} bytes` });
      const frame = new Float64Array(n);
      for (let i = 0; i < n; i++) frame[i] = bytes.readDoubleLE(i * 8);
      out.push(frame);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Read the sidecar metadata of a LABRIG_RAW file. */
export function readRawSidecar(path: string): { format: string; dtype_numpy: string; shape: number[]; frames: number } {
  return JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { format: string; dtype_numpy: string; shape: number[]; frames: number };
}

/** Load the frame a datum of a LABRIG_RAW resource points at (a handler, as databroker's are). */
export function loadRawDatum(resource: Resource, datum: Datum): Float64Array {
  if (resource.spec !== LABRIG_RAW_SPEC) throw new InvalidInputError({ what: 'resource spec', value: resource.spec, reason: `must be ${LABRIG_RAW_SPEC}` });
  if (datum.resource !== resource.uid) throw new InvalidInputError({ what: 'datum resource', value: datum.resource, reason: `must be ${resource.uid}` });
  const shape = checkShape('resource_kwargs.shape', resource.resource_kwargs['shape']);
  const frame = datum.datum_kwargs['frame'];
  if (!Number.isInteger(frame) || (frame as number) < 0) throw new InvalidInputError({ what: 'datum_kwargs.frame', value: frame, reason: 'must be a non-negative integer' });
  return readRawFrames(join(resource.root, resource.resource_path), shape, frame as number, (frame as number) + 1)[0]!;
}

/** Load the frames a stream datum of a LABRIG_RAW stream resource points at. */
export function loadRawStreamDatum(streamResource: StreamResource, streamDatum: StreamDatum): Float64Array[] {
  if (streamResource.mimetype !== LABRIG_RAW_MIMETYPE) {
    throw new InvalidInputError({ what: 'stream_resource mimetype', value: streamResource.mimetype, reason: `must be ${LABRIG_RAW_MIMETYPE}` });
  }
  if (streamDatum.stream_resource !== streamResource.uid) {
    throw new InvalidInputError({ what: 'stream_datum stream_resource', value: streamDatum.stream_resource, reason: `must be ${streamResource.uid}` });
  }
  const shape = checkShape('parameters.shape', streamResource.parameters['shape']);
  return readRawFrames(fileURLToPath(streamResource.uri), shape, streamDatum.indices.start, streamDatum.indices.stop);
}
