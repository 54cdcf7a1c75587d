/**
 * A USBTMC instrument link over a {@link BulkDevice}: `write`, `read` and `query` of
 * device-dependent messages, USB488 trigger and status byte, capabilities and device clear.
 *
 * Behaviour:
 * - One operation at a time, first in first out; `query` writes and reads as one operation, so
 *   no other command can slip between a question and its answer.
 * - Each operation rejects at most `timeoutMs` after the call (queue wait included) with
 *   `TimeoutError`, or with `CanceledError` when its signal aborts. The transfer in flight is then
 *   aborted (INITIATE_ABORT_BULK_OUT/IN) in the background before the next operation starts;
 *   unless the device confirms the abort, it is also cleared (INITIATE_CLEAR), because a late
 *   reply would otherwise be read as the answer to the next query.
 * - A reply that breaks the protocol (wrong bTag, bad header, a transfer that ends early, excess
 *   bytes, a reply above `maxMessageBytes`) rejects with `InvalidInputError` and the device is
 *   cleared, so stale bytes never reach the next operation.
 * - A status other than SUCCESS in a control request rejects with `DeviceError` (vendorCode =
 *   USBTMC_status). A lost device rejects with `DisconnectedError`; so does every call after
 *   `close()`.
 * @module
 */
import { DisconnectedError, InvalidInputError } from '../../core/errors.js';
import type { WaitOptions } from '../contracts.js';
import type { BulkDevice } from './bulk-device.js';
import {
  type Capabilities,
  expectSuccess,
  getCapabilities,
  indicatorPulse,
  parseCapabilities,
  parseInterrupt,
  parseReadStatusByte,
  parseStatusOnly,
  readStatusByte,
  remoteLocal,
} from './control.js';
import { TransferFailure, guarded, readMessage, writeMessage, type OpContext, type TransferSizes } from './message-io.js';
import { OpQueue } from './op-queue.js';
import { clearDevice, recoverTransfer, type ClearResult, type RecoveryRecord } from './recovery.js';
import { TagSequence, encodeTrigger } from './usbtmc.js';

/** Opens the BulkDevice of a transport created before its device was opened (see `open`). */
export interface BulkDeviceOpener {
  /** Address for messages, e.g. `usbtmc://0x0957:0x1796`. */
  readonly address: string;
  /** Find and claim the device; rejects like `openLibusbDevice`. */
  open(options: WaitOptions): Promise<BulkDevice>;
}

/** Options of a USBTMC transport. */
export interface UsbtmcOptions {
  /** Default limit of each operation, in milliseconds. Default 2000. */
  timeoutMs?: number;
  /** Limit of the abort/clear that follows a failed operation, in milliseconds. Default 1000. */
  recoveryTimeoutMs?: number;
  /** Appended to commands given as strings. Default `\n`. */
  writeTermination?: string;
  /** Removed from the end of text replies. Default `\n`. */
  readTermination?: string;
  /** Ask the device to end each reply transfer on this byte (needs the TermChar capability). */
  termChar?: number;
  /** TransferSize asked for per REQUEST_DEV_DEP_MSG_IN, in bytes. Default 1 MiB. */
  requestBytes?: number;
  /** Largest Bulk-IN read, in bytes (rounded up to the packet size). Default 16 KiB. */
  readBufferBytes?: number;
  /** Largest DEV_DEP_MSG_OUT payload per transfer, in bytes. Default 1 MiB. */
  writeChunkBytes?: number;
  /** Largest reply accepted, in bytes. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Called with the status byte of each USB488 service request seen on Interrupt-IN. */
  onServiceRequest?: (statusByte: number) => void;
}

/** Options of one operation. */
export interface UsbtmcCallOptions {
  /** Limit of this operation from the call, in milliseconds. */
  timeoutMs?: number;
  /** Abort this operation (rejects with CanceledError). */
  signal?: AbortSignal;
}


function positive(what: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v <= 0) throw new InvalidInputError({ what: `usbtmc option ${what}`, value: v, reason: 'must be a positive integer' });
  return v;
}

function toBytes(what: string, text: string): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) throw new InvalidInputError({ what, value: text, reason: `character ${i} is not a single byte (latin1)` });
  }
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

/** Send and receive USBTMC messages on one device (see the module notes). */
export class UsbtmcTransport {
  private readonly tags = new TagSequence(1, 255);
  private readonly stbTags = new TagSequence(2, 127);
  private readonly sizes: TransferSizes;
  private readonly timeoutMs: number;
  private readonly recoveryTimeoutMs: number;
  private readonly writeTermination: string;
  private readonly readTermination: string;
  private readonly onServiceRequest: ((stb: number) => void) | undefined;
  private readonly closing = new AbortController();
  private readonly queue = new OpQueue(this.closing.signal);
  private closed = false;
  private needsClear = false;
  /** What the most recent recovery did (undefined before the first). */
  lastRecovery: RecoveryRecord | undefined;

  private dev: BulkDevice | undefined;
  private readonly opener: BulkDeviceOpener | undefined;
  private readonly readBufferOption: number;
  private opening: Promise<void> | undefined;

  /**
   * Wrap an open BulkDevice (ready at once), or an opener whose device `open()` fetches
   * (operations before that reject with DisconnectedError).
   */
  constructor(device: BulkDevice | BulkDeviceOpener, options: UsbtmcOptions = {}) {
    if (isBulkDevice(device)) this.dev = device;
    else this.opener = device;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, 2000);
    this.recoveryTimeoutMs = positive('recoveryTimeoutMs', options.recoveryTimeoutMs, 1000);
    this.readBufferOption = positive('readBufferBytes', options.readBufferBytes, 16384);
    if (options.termChar !== undefined && (!Number.isInteger(options.termChar) || options.termChar < 0 || options.termChar > 255)) {
      throw new InvalidInputError({ what: 'usbtmc option termChar', value: options.termChar, reason: 'must be a byte value 0..255' });
    }
    this.sizes = {
      writeChunkBytes: positive('writeChunkBytes', options.writeChunkBytes, 1 << 20),
      requestBytes: positive('requestBytes', options.requestBytes, 1 << 20),
      readBufferBytes: this.readBufferOption,
      maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes, 16 << 20),
      termChar: options.termChar,
    };
    this.writeTermination = options.writeTermination ?? '\n';
    this.readTermination = options.readTermination ?? '\n';
    this.onServiceRequest = options.onServiceRequest;
    if (this.dev) this.adopt(this.dev);
  }

  /** Address of the device, e.g. `usbtmc://0x0957:0x1796/MY123`. */
  get address(): string {
    return this.dev?.address ?? this.opener!.address;
  }

  /** True between a successful open (or construction on an open device) and `close()`. */
  get isOpen(): boolean {
    return !this.closed && this.dev !== undefined;
  }

  /**
   * Open the device through the opener given at construction (no-op when already open).
   * Rejects like the opener (NotFoundError, DisconnectedError), with TimeoutError after
   * `timeoutMs`, or CanceledError when `signal` aborts.
   */
  open(options: WaitOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: this.address, detail: 'transport closed' }));
    if (this.dev) return Promise.resolve();
    this.opening ??= this.opener!.open(options).then(
      async (dev) => {
        if (this.closed) {
          await dev.close();
          throw new DisconnectedError({ device: this.address, detail: 'transport closed while opening' });
        }
        this.adopt(dev);
        this.dev = dev;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  private adopt(dev: BulkDevice): void {
    const mps = positive('maxPacketSize', dev.maxPacketSize, 64);
    this.sizes.readBufferBytes = Math.ceil(this.readBufferOption / mps) * mps;
  }

  private get device(): BulkDevice {
    if (!this.dev) throw new DisconnectedError({ device: this.address, detail: 'not open: call open() first' });
    return this.dev;
  }

  /** Send one message; a string gets `writeTermination` appended. */
  write(command: string | Uint8Array, options: UsbtmcCallOptions = {}): Promise<void> {
    const bytes = this.encode(command);
    return this.run('write', options, (ctx) => this.io(ctx, () => writeMessage(this.device, this.tags, ctx, bytes, this.sizes)));
  }

  /** Read one reply message as bytes. */
  read(options: UsbtmcCallOptions = {}): Promise<Uint8Array> {
    return this.run('read', options, (ctx) => this.io(ctx, () => readMessage(this.device, this.tags, ctx, this.sizes)));
  }

  /** Read one reply message as latin1 text without `readTermination`. */
  async readText(options: UsbtmcCallOptions = {}): Promise<string> {
    return this.decode(await this.read(options));
  }

  /** Send a command and read its reply as bytes, as one operation. */
  queryBytes(command: string | Uint8Array, options: UsbtmcCallOptions = {}): Promise<Uint8Array> {
    const bytes = this.encode(command);
    return this.run(`query ${JSON.stringify(typeof command === 'string' ? command : `${command.length} bytes`)}`, options, (ctx) =>
      this.io(ctx, async () => {
        await writeMessage(this.device, this.tags, ctx, bytes, this.sizes);
        return readMessage(this.device, this.tags, ctx, this.sizes);
      }),
    );
  }

  /** Send a command and read its reply as latin1 text without `readTermination`. */
  async query(command: string | Uint8Array, options: UsbtmcCallOptions = {}): Promise<string> {
    return this.decode(await this.queryBytes(command, options));
  }

  /** Send a USB488 TRIGGER message (the GET of IEEE 488.1). */
  trigger(options: UsbtmcCallOptions = {}): Promise<void> {
    return this.run('trigger', options, (ctx) =>
      this.io(ctx, async () => {
        const tag = this.tags.next();
        try {
          const ms = ctx.left();
          await guarded(this.device.bulkOut(encodeTrigger(tag), ms, ctx.signal), ms, `${this.address}: TRIGGER`);
        } catch (err) {
          throw new TransferFailure('out', tag, err as Error);
        }
      }),
    );
  }

  /**
   * Read the IEEE 488.2 status byte with USB488 READ_STATUS_BYTE. With an Interrupt-IN endpoint
   * the byte arrives there; service requests seen meanwhile go to `onServiceRequest`.
   */
  readStatusByte(options: UsbtmcCallOptions = {}): Promise<number> {
    return this.run('read status byte', options, async (ctx) => {
      const tag = this.stbTags.next();
      const ms = ctx.left();
      const reply = parseReadStatusByte(await guarded(this.device.controlIn(readStatusByte(tag, this.device.interfaceNumber), ms), ms, `${this.address}: READ_STATUS_BYTE`));
      expectSuccess(this.address, 'READ_STATUS_BYTE', reply.status);
      if (reply.tag !== tag) throw new InvalidInputError({ what: `${this.address}: READ_STATUS_BYTE reply`, value: reply.tag, reason: `bTag does not match the request's ${tag}` });
      if (this.device.interruptInEndpoint === undefined) return reply.statusByte;
      for (;;) {
        const left = ctx.left();
        const packet = await guarded(this.device.interruptIn(2, left, ctx.signal), left, `${this.address}: Interrupt-IN`);
        const note = parseInterrupt(packet);
        if (note.kind === 'srq') this.onServiceRequest?.(note.statusByte);
        else if (note.kind === 'status-byte' && note.tag === tag) return note.statusByte;
        // Anything else is a notification of an earlier request: skip it.
      }
    });
  }

  /** Ask the interface what it supports (GET_CAPABILITIES). */
  capabilities(options: UsbtmcCallOptions = {}): Promise<Capabilities> {
    return this.run('get capabilities', options, async (ctx) => {
      const ms = ctx.left();
      return parseCapabilities(await guarded(this.device.controlIn(getCapabilities(this.device.interfaceNumber), ms), ms, `${this.address}: GET_CAPABILITIES`), this.address);
    });
  }

  /** Send a USB488 remote/local request (REN_CONTROL, GO_TO_LOCAL, LOCAL_LOCKOUT). */
  remoteLocal(kind: 'ren-on' | 'ren-off' | 'go-to-local' | 'local-lockout', options: UsbtmcCallOptions = {}): Promise<void> {
    return this.run(kind, options, async (ctx) => {
      const ms = ctx.left();
      expectSuccess(this.address, kind, parseStatusOnly(await guarded(this.device.controlIn(remoteLocal(kind, this.device.interfaceNumber), ms), ms, `${this.address}: ${kind}`)));
    });
  }

  /** Blink the device's activity indicator (INDICATOR_PULSE, optional in USBTMC). */
  indicatorPulse(options: UsbtmcCallOptions = {}): Promise<void> {
    return this.run('indicator pulse', options, async (ctx) => {
      const ms = ctx.left();
      expectSuccess(this.address, 'INDICATOR_PULSE', parseStatusOnly(await guarded(this.device.controlIn(indicatorPulse(this.device.interfaceNumber), ms), ms, `${this.address}: INDICATOR_PULSE`)));
    });
  }

  /** Clear the device's input and output buffers (the IEEE 488.1 device clear). */
  clear(options: UsbtmcCallOptions = {}): Promise<ClearResult> {
    return this.run('clear', options, async (ctx) => {
      try {
        const result = await clearDevice(this.device, { timeoutMs: ctx.left() });
        this.needsClear = false;
        return result;
      } catch (err) {
        // A half-done clear leaves the device in an unknown state (Bulk-OUT may be halted).
        this.needsClear = true;
        throw err;
      }
    });
  }

  /** Wait until every queued operation, and the recovery after a failed one, has finished. */
  settled(): Promise<void> {
    return this.queue.settled();
  }

  /** Cancel what is running, reject what is queued, release the device. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new DisconnectedError({ device: this.address, detail: 'transport closed' }));
    await this.queue.settled();
    await this.dev?.close();
  }

  private encode(command: string | Uint8Array): Uint8Array {
    if (typeof command === 'string') return toBytes(`${this.address}: command`, command + this.writeTermination);
    if (!(command instanceof Uint8Array)) throw new InvalidInputError({ what: `${this.address}: command`, value: command, reason: 'must be a string or a Uint8Array' });
    return command;
  }

  private decode(bytes: Uint8Array): string {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return this.readTermination && text.endsWith(this.readTermination) ? text.slice(0, -this.readTermination.length) : text;
  }

  /** Run bulk I/O; on failure recover (abort or clear) before the error propagates. */
  private async io<T>(ctx: OpContext, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (thrown) {
      if (!(thrown instanceof TransferFailure)) throw thrown;
      const err = thrown.error;
      if (!this.closed && !(err instanceof DisconnectedError)) await this.recover(ctx.operation, thrown);
      throw err;
    }
  }

  private async recover(operation: string, failure: TransferFailure): Promise<void> {
    const record = await recoverTransfer(this.device, failure.direction, failure.tag, failure.error, this.recoveryTimeoutMs);
    record.cause = `${operation}: ${record.cause}`;
    this.lastRecovery = record;
    if (record.error) this.needsClear = true;
  }

  private run<T>(operation: string, options: UsbtmcCallOptions, body: (ctx: OpContext) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: this.address, detail: `${operation}: transport closed` }));
    let timeoutMs: number;
    try {
      timeoutMs = positive('timeoutMs', options.timeoutMs, this.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.run(`${this.address}: ${operation}`, timeoutMs, options.signal, async (ctx) => {
      if (this.closed) throw new DisconnectedError({ device: this.address, detail: `${operation}: transport closed` });
      if (!this.dev) throw new DisconnectedError({ device: this.address, detail: `${operation}: not open (call open() first)` });
      if (this.needsClear) {
        await clearDevice(this.dev, { timeoutMs: ctx.left() });
        this.needsClear = false;
      }
      return body(ctx);
    });
  }
}

function isBulkDevice(d: BulkDevice | BulkDeviceOpener): d is BulkDevice {
  return typeof (d as BulkDevice).bulkIn === 'function';
}
