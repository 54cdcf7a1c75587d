/**
 * An append-only `.npy` file of float64 rows (numpy's format 1.0: magic, header dict, C-order
 * little-endian data), readable with `numpy.load` alone while it grows: the header is written
 * with room for any row count and rewritten after each append (decision 0012).
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { InvalidInputError, InvalidStateError } from '../../core/errors.js';

const HEADER_BYTES = 128; // magic (6) + version (2) + length (2) + dict padded to 128

/** Build the 128-byte header of a (rows, columns) '<f8' array. */
export function npyHeader(rows: number, columns: number): Buffer {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  const room = HEADER_BYTES - 10 - 1; // the dict ends with a newline
  if (dict.length > room) throw new InvalidInputError({ what: 'npy shape', value: [rows, columns], reason: 'too large for the header' });
  const head = Buffer.alloc(HEADER_BYTES, 0x20);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(HEADER_BYTES - 10, 8);
  head.write(dict, 10, 'latin1');
  head[HEADER_BYTES - 1] = 0x0a;
  return head;
}

/** A growing (rows, columns) float64 `.npy` file. */
export class NpyAppender {
  /** Path of the file. */
  readonly path: string;
  /** Columns per row. */
  readonly columns: number;
  #fd: number | undefined;
  #rows = 0;

  /** Create (truncate) the file at `path` with `columns` per row. */
  constructor(path: string, columns: number) {
    if (!Number.isInteger(columns) || columns < 1) throw new InvalidInputError({ what: 'npy columns', value: columns, reason: 'must be a positive integer' });
    this.path = path;
    this.columns = columns;
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, npyHeader(0, columns), 0, HEADER_BYTES, 0);
  }

  /** Rows written so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Append rows (scan-major: row i is values[i*columns .. i*columns+columns-1]) and update the header. */
  append(values: Float64Array, rows: number): void {
    if (this.#fd === undefined) throw new InvalidStateError(`${this.path}: closed`);
    if (rows === 0) return;
    const bytes = Buffer.from(values.buffer, values.byteOffset, rows * this.columns * 8);
    writeSync(this.#fd, bytes, 0, bytes.length, HEADER_BYTES + this.#rows * this.columns * 8);
    this.#rows += rows;
    writeSync(this.#fd, npyHeader(this.#rows, this.columns), 0, HEADER_BYTES, 0);
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
