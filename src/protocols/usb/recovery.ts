/**
 * USBTMC recovery procedures over a {@link BulkDevice}: abort a Bulk-OUT or Bulk-IN transfer,
 * and clear the device (USBTMC 1.0 §4.2.1.2–§4.2.1.7). Each procedure has a time limit and
 * rejects with `TimeoutError` when it is exceeded, or `DeviceError` when the device answers a
 * status other than SUCCESS/PENDING.
 * @module
 */
import { DeviceError, InvalidInputError, TimeoutError } from '../../core/errors.js';
import type { BulkDevice } from './bulk-device.js';
import {
  Status,
  checkAbortBulkInStatus,
  checkAbortBulkOutStatus,
  checkClearStatus,
  expectSuccess,
  initiateAbortBulkIn,
  initiateAbortBulkOut,
  initiateClear,
  parseCheckAbort,
  parseCheckClear,
  parseInitiateAbort,
  parseStatusOnly,
} from './control.js';

/** How an abort ended. */
export type AbortOutcome =
  /** The device aborted the transfer. */
  | 'aborted'
  /** The device had no transfer in progress (STATUS_FAILED): nothing to abort. */
  | 'idle'
  /** The device is busy with a transfer of another bTag (STATUS_TRANSFER_NOT_IN_PROGRESS). */
  | 'other-transfer';

/** Wait `ms` milliseconds (no timer is left behind). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class Deadline {
  private readonly end: number;
  constructor(
    private readonly operation: string,
    private readonly limitMs: number,
  ) {
    this.end = performance.now() + limitMs;
  }
  /** Milliseconds left, at least 1; throws TimeoutError once the limit passed. */
  left(): number {
    const left = Math.ceil(this.end - performance.now());
    if (left <= 0) throw new TimeoutError({ operation: this.operation, afterMs: this.limitMs });
    return left;
  }
}

/** Options of the recovery procedures. */
export interface RecoveryOptions {
  /** Limit of the whole procedure, in milliseconds. */
  timeoutMs: number;
  /** Pause between status checks while the device answers PENDING, in milliseconds. Default 10. */
  pollMs?: number;
}

/**
 * Read and discard Bulk-IN data until a short packet ends the transfer (or nothing comes within
 * `quietMs`). Returns the number of bytes discarded.
 */
export async function drainBulkIn(dev: BulkDevice, deadline: { left(): number }, quietMs = 50): Promise<number> {
  let discarded = 0;
  for (let i = 0; i < 10_000; i++) {
    let chunk: Uint8Array;
    try {
      chunk = await dev.bulkIn(dev.maxPacketSize, Math.min(quietMs, deadline.left()));
    } catch (err) {
      if (err instanceof TimeoutError) return discarded;
      throw err;
    }
    discarded += chunk.length;
    if (chunk.length < dev.maxPacketSize) return discarded;
  }
  return discarded;
}

/** Abort the Bulk-OUT transfer `tag` and clear the endpoint halt (USBTMC §4.2.1.2–3). */
export async function abortBulkOut(dev: BulkDevice, tag: number, options: RecoveryOptions): Promise<AbortOutcome> {
  const deadline = new Deadline(`${dev.address}: abort Bulk-OUT transfer ${tag}`, options.timeoutMs);
  const first = parseInitiateAbort(await dev.controlIn(initiateAbortBulkOut(tag, dev.bulkOutEndpoint), deadline.left()));
  if (first.status === Status.FAILED) return 'idle';
  if (first.status === Status.TRANSFER_NOT_IN_PROGRESS) return 'other-transfer';
  expectSuccess(dev.address, 'INITIATE_ABORT_BULK_OUT', first.status);
  for (;;) {
    const check = parseCheckAbort(await dev.controlIn(checkAbortBulkOutStatus(dev.bulkOutEndpoint), deadline.left()));
    if (check.status === Status.PENDING) {
      await sleep(Math.min(options.pollMs ?? 10, deadline.left()));
      continue;
    }
    expectSuccess(dev.address, 'CHECK_ABORT_BULK_OUT_STATUS', check.status);
    break;
  }
  await dev.clearHalt(dev.bulkOutEndpoint, deadline.left());
  return 'aborted';
}

/** Abort the Bulk-IN transfer `tag`, reading out what the device still queued (USBTMC §4.2.1.4–5). */
export async function abortBulkIn(dev: BulkDevice, tag: number, options: RecoveryOptions): Promise<AbortOutcome> {
  const deadline = new Deadline(`${dev.address}: abort Bulk-IN transfer ${tag}`, options.timeoutMs);
  const first = parseInitiateAbort(await dev.controlIn(initiateAbortBulkIn(tag, dev.bulkInEndpoint), deadline.left()));
  if (first.status === Status.FAILED) return 'idle';
  if (first.status === Status.TRANSFER_NOT_IN_PROGRESS) return 'other-transfer';
  expectSuccess(dev.address, 'INITIATE_ABORT_BULK_IN', first.status);
  await drainBulkIn(dev, deadline);
  for (;;) {
    const check = parseCheckAbort(await dev.controlIn(checkAbortBulkInStatus(dev.bulkInEndpoint), deadline.left()));
    if (check.status === Status.PENDING) {
      if (check.fifoNotEmpty) await drainBulkIn(dev, deadline);
      else await sleep(Math.min(options.pollMs ?? 10, deadline.left()));
      continue;
    }
    expectSuccess(dev.address, 'CHECK_ABORT_BULK_IN_STATUS', check.status);
    return 'aborted';
  }
}

/** Result of a clear. */
export interface ClearResult {
  /** CHECK_CLEAR_STATUS requests sent until the device answered SUCCESS. */
  checks: number;
  /** Bulk-IN bytes read out and discarded while clearing. */
  discardedBytes: number;
}

/**
 * Clear the device's input and output buffers: INITIATE_CLEAR, CHECK_CLEAR_STATUS until it is
 * no longer PENDING (reading out Bulk-IN when the device asks), then clear the Bulk-OUT halt
 * (USBTMC §4.2.1.6–7).
 */
export async function clearDevice(dev: BulkDevice, options: RecoveryOptions): Promise<ClearResult> {
  const deadline = new Deadline(`${dev.address}: clear`, options.timeoutMs);
  expectSuccess(dev.address, 'INITIATE_CLEAR', parseStatusOnly(await dev.controlIn(initiateClear(dev.interfaceNumber), deadline.left())));
  let checks = 0;
  let discardedBytes = 0;
  for (;;) {
    checks++;
    const check = parseCheckClear(await dev.controlIn(checkClearStatus(dev.interfaceNumber), deadline.left()));
    if (check.status === Status.PENDING) {
      if (check.fifoNotEmpty) discardedBytes += await drainBulkIn(dev, deadline);
      else await sleep(Math.min(options.pollMs ?? 10, deadline.left()));
      continue;
    }
    expectSuccess(dev.address, 'CHECK_CLEAR_STATUS', check.status);
    break;
  }
  await dev.clearHalt(dev.bulkOutEndpoint, deadline.left());
  return { checks, discardedBytes };
}

/** What a recovery did, for diagnostics. */
export interface RecoveryRecord {
  /** What failed and was recovered from. */
  cause: string;
  /** Steps taken, e.g. `abort-in:aborted`, `clear:2 checks`. */
  steps: string[];
  /** The error of a recovery that failed; the device state is unknown until a clear succeeds. */
  error?: Error;
}

/**
 * Bring the device back to a known state after a transfer failed. A timed-out or canceled
 * transfer is aborted; only a confirmed abort ends there, because after 'idle' the device may
 * still produce a late reply or hold part of a command. A broken protocol (bad header, stall,
 * reply too long) or a failed abort is followed by a clear. Never throws: failures are in `error`.
 */
export async function recoverTransfer(dev: BulkDevice, direction: 'out' | 'in', tag: number, error: Error, timeoutMs: number): Promise<RecoveryRecord> {
  const record: RecoveryRecord = { cause: `${error.name}: ${error.message}`, steps: [] };
  const opts = { timeoutMs };
  const protocolBroken = error instanceof InvalidInputError || error instanceof DeviceError;
  if (!protocolBroken) {
    try {
      const outcome = direction === 'out' ? await abortBulkOut(dev, tag, opts) : await abortBulkIn(dev, tag, opts);
      record.steps.push(`abort-${direction}:${outcome}`);
      if (outcome === 'aborted') return record;
    } catch (err) {
      record.steps.push(`abort-${direction}:failed (${(err as Error).message})`);
    }
  }
  try {
    const cleared = await clearDevice(dev, opts);
    record.steps.push(`clear:${cleared.checks} checks`);
  } catch (err) {
    record.steps.push(`clear:failed (${(err as Error).message})`);
    record.error = err as Error;
  }
  return record;
}
