/**
 * One USBTMC message each way over a {@link BulkDevice}: split a command into DEV_DEP_MSG_OUT
 * transfers, and read a reply transfer by transfer (REQUEST_DEV_DEP_MSG_IN, then Bulk-IN reads
 * until each transfer is complete) until EOM. Also the per-operation deadline and the guard that
 * keeps a misbehaving device implementation from hanging a call.
 * @module
 */
import { CanceledError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { BulkDevice } from './bulk-device.js';
import { BulkInAssembler, HEADER_BYTES, TagSequence, encodeDevDepMsgOut, encodeRequestDevDepMsgIn } from './usbtmc.js';

/** Extra time a device call gets beyond its own timeout before the guard gives up, in ms. */
const GUARD_GRACE_MS = 250;

/** Deadline and cancellation of one transport operation. */
export class OpContext {
  private readonly end: number;
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    start: number,
    readonly signal: AbortSignal,
  ) {
    this.end = start + timeoutMs;
  }
  /** Milliseconds left (at least 1); throws TimeoutError when none are, CanceledError when aborted. */
  left(): number {
    if (this.signal.aborted) throw new CanceledError(`${this.operation}: ${describeReason(this.signal.reason)}`);
    const left = Math.ceil(this.end - performance.now());
    if (left <= 0) throw new TimeoutError({ operation: this.operation, afterMs: this.timeoutMs });
    return left;
  }
}

/** Turn an abort reason into text. */
export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'canceled' : String(reason);
}

/**
 * Settle like `promise`, but reject with TimeoutError if it has not settled `ms + grace` after
 * the call (a device implementation that breaks its own timeout must not hang the queue).
 */
export function guarded<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError({ operation: `${operation} (device call never settled)`, afterMs: ms })), ms + GUARD_GRACE_MS);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Sizes that shape the transfers of one transport. */
export interface TransferSizes {
  /** Largest DEV_DEP_MSG_OUT payload per transfer, bytes. */
  writeChunkBytes: number;
  /** TransferSize asked for in each REQUEST_DEV_DEP_MSG_IN, bytes. */
  requestBytes: number;
  /** Largest single Bulk-IN read, bytes (a multiple of maxPacketSize). */
  readBufferBytes: number;
  /** Largest reply accepted, bytes. */
  maxMessageBytes: number;
  /** TermChar to ask for, if any. */
  termChar: number | undefined;
}

/** Where a failed transfer was, so recovery knows what to abort. */
export class TransferFailure extends Error {
  constructor(
    readonly direction: 'out' | 'in',
    readonly tag: number,
    readonly error: Error,
  ) {
    super(error.message);
  }
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** Send `message` as one USBTMC message (EOM on its last transfer). Failures come as TransferFailure. */
export async function writeMessage(dev: BulkDevice, tags: TagSequence, ctx: OpContext, message: Uint8Array, sizes: TransferSizes): Promise<void> {
  if (message.length === 0) throw new InvalidInputError({ what: `${dev.address}: write`, value: '', reason: 'a USBTMC message needs at least one byte' });
  for (let at = 0; at < message.length; at += sizes.writeChunkBytes) {
    const part = message.subarray(at, at + sizes.writeChunkBytes);
    const tag = tags.next();
    const bytes = encodeDevDepMsgOut(tag, part, at + part.length >= message.length);
    try {
      const ms = ctx.left();
      await guarded(dev.bulkOut(bytes, ms, ctx.signal), ms, `${dev.address}: Bulk-OUT`);
    } catch (err) {
      throw new TransferFailure('out', tag, err as Error);
    }
  }
}

/** Read one USBTMC reply message until EOM (or TermChar). Failures come as TransferFailure. */
export async function readMessage(dev: BulkDevice, tags: TagSequence, ctx: OpContext, sizes: TransferSizes): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const tag = tags.next();
    const request = encodeRequestDevDepMsgIn(tag, sizes.requestBytes, sizes.termChar);
    try {
      const ms = ctx.left();
      await guarded(dev.bulkOut(request, ms, ctx.signal), ms, `${dev.address}: REQUEST_DEV_DEP_MSG_IN`);
    } catch (err) {
      throw new TransferFailure('out', tag, err as Error);
    }
    const assembler = new BulkInAssembler({ tag, maxTransferSize: sizes.requestBytes });
    try {
      while (!assembler.complete) {
        const header = assembler.header;
        const expected = header === undefined ? HEADER_BYTES + sizes.requestBytes + 3 : HEADER_BYTES + header.transferSize + 3 - assembler.receivedBytes;
        const ask = Math.min(sizes.readBufferBytes, roundUp(Math.max(expected, 1), dev.maxPacketSize));
        const ms = ctx.left();
        const chunk = await guarded(dev.bulkIn(ask, ms, ctx.signal), ms, `${dev.address}: Bulk-IN`);
        assembler.push(chunk, chunk.length < ask);
      }
    } catch (err) {
      throw new TransferFailure('in', tag, err as Error);
    }
    const data = assembler.data();
    total += data.length;
    if (total > sizes.maxMessageBytes) {
      throw new TransferFailure('in', tag, new InvalidInputError({ what: `${dev.address}: reply`, value: `${total} bytes`, reason: `is longer than maxMessageBytes ${sizes.maxMessageBytes}` }));
    }
    parts.push(data);
    const header = assembler.header!;
    if (header.eom || (sizes.termChar !== undefined && header.termCharUsed)) break;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
