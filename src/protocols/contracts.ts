/**
 * Transport contracts: types only, with the behaviour written here (STYLE.md rule 1).
 *
 * Common rules for every contract in this module:
 * - Every call that waits has a time limit. When it expires the promise rejects with a
 *   `TimeoutError` (`operation` names what was waited for, `afterMs` the limit) and nothing stays
 *   pending.
 * - Every call that takes an `AbortSignal` rejects with a `CanceledError` as soon as the signal
 *   aborts (at once if it is already aborted); the signal's reason is in the error's message.
 * - A lost link rejects every call that was waiting on it with a `DisconnectedError` naming the
 *   address; a call made on a closed transport rejects the same way.
 * - An error reported by the device itself is a `DeviceError` (vendor code and text).
 * - Malformed input is rejected with an `InvalidInputError` before anything is sent.
 * All error classes come from `src/core/errors.ts`.
 * @module
 */
import type { VendorCodeTable } from '../core/errors.js';

/** Remove a listener added by an `on...` method. */
export type Unsubscribe = () => void;

/** Options of a call that waits. */
export interface WaitOptions {
  /** Upper bound of the wait, in milliseconds. */
  timeoutMs?: number;
  /** Abort the wait (rejects with `CanceledError`). */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------
// Byte streams

/**
 * Carry bytes both ways over one link (a serial port, a TCP socket, a pty, a fault wrapper).
 *
 * - `open()` resolves once bytes can flow. It rejects with `TimeoutError` (connect timeout),
 *   `DisconnectedError` (refused, missing device, busy port; the message names the address and
 *   the cause), `CanceledError` (signal) or `InvalidInputError` (bad settings). A stream may be
 *   opened again after it closed; that is how request channels reconnect.
 * - `write(bytes)` hands the bytes to the operating system without waiting and keeps their order.
 *   It throws `DisconnectedError` when the stream is not open; a failure found later (reset,
 *   unplugged adapter) is reported through `onClose`.
 * - `onData` listeners get each chunk as it arrives. Chunk boundaries mean nothing (a reply may
 *   come in pieces, or several in one chunk). The chunk belongs to the listener: the stream never
 *   reuses its memory. Listeners must not throw.
 * - `onClose` listeners are called exactly once per successful `open()`: with a
 *   `DisconnectedError` when the link was lost (peer closed it, reset, device gone), or with
 *   `undefined` when `close()` was called. A peer's half-close (TCP FIN) counts as a loss.
 * - `close()` is idempotent and resolves once the handle is released.
 * - Listeners stay registered across `close()` and a later `open()`.
 */
export interface ByteStream {
  /** Address of the link for messages, e.g. `tcp://127.0.0.1:23` or `serial:///dev/ttyUSB0`. */
  readonly address: string;
  /** True between a resolved `open()` and the close notification. */
  readonly isOpen: boolean;
  /** Connect or open the device. */
  open(options?: WaitOptions): Promise<void>;
  /** Queue bytes for sending. */
  write(bytes: Uint8Array): void;
  /** Listen to incoming bytes. */
  onData(listener: (chunk: Uint8Array) => void): Unsubscribe;
  /** Listen to the end of the link (see the interface notes). */
  onClose(listener: (reason: Error | undefined) => void): Unsubscribe;
  /** Release the link. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Framing

/** Where one complete frame lies at the start of a buffer. */
export interface FrameMatch {
  /** Bytes to remove from the buffer start (frame plus its delimiter and any skipped prefix). */
  consumed: number;
  /** Payload start index (inclusive). */
  payloadStart: number;
  /** Payload end index (exclusive). */
  payloadEnd: number;
  /**
   * Delimiter or prompt that ended the frame ('' for length-framed frames). When a shorter
   * terminator that starts a longer one (CR of CRLF) ends the data so far, the frame ends there
   * and names the shorter one; the rest (LF) is skipped when it arrives.
   */
  end: string;
  /** True when the delimiter says the device rejected the command (e.g. Galil `?`). */
  isError: boolean;
  /** Address the frame carried (e.g. a pump's `01` before its prompt), if the framer parsed one. */
  address?: string;
}

/**
 * Find frames in a byte buffer; pure, no I/O (fuzzed in the tests).
 *
 * `scan(buf, len, from)` looks at `buf[0, len)`, of which `buf[0, from)` was already scanned
 * without finding a frame end, and returns the first complete frame or `undefined` when more
 * bytes are needed. It throws `InvalidInputError` for bytes that can never become a frame
 * (oversized, impossible header); the caller then discards its buffer and resynchronises.
 * A framer may keep a little state between frames (e.g. a CR seen at the end of one frame
 * whose LF arrives with the next chunk); `reset()` forgets it.
 */
export interface Framer {
  /** Human description for error messages, e.g. `terminator "\r\n"`. */
  readonly description: string;
  /** Find the first complete frame in `buf[0, len)`. */
  scan(buf: Uint8Array, len: number, from: number): FrameMatch | undefined;
  /** Forget state carried between frames. */
  reset(): void;
}

/** Declare how replies are framed; `createFramer` turns it into a Framer. */
export type FramingSpec =
  | {
      /** Reply ends with one of `terminators` (the earliest to start wins, then the longest). */
      mode: 'terminator';
      terminators: ReadonlyArray<string | Uint8Array>;
      /** Terminators that mean "command rejected" (frame marked `isError`). */
      errorTerminators?: ReadonlyArray<string | Uint8Array>;
      /** Strip CR/LF around the payload. Default false. */
      trim?: boolean;
      /** Largest frame accepted before `InvalidInputError`, in bytes. Default 65536. */
      maxBytes?: number;
    }
  | {
      /** Reply ends when a prompt appears at the start of a line, maybe after an address. */
      mode: 'prompt';
      prompts: ReadonlyArray<string>;
      /** Characters an address before a prompt may use. Default '0123456789'. */
      addressChars?: string;
      /** Longest address before a prompt, in characters. Default 2. */
      maxAddressLength?: number;
      /** Prompts that mean the device rejected the command. */
      errorPrompts?: ReadonlyArray<string>;
      maxBytes?: number;
    }
  | {
      /** Galil DMC: reply ends at `:` (accepted) or `?` (rejected). */
      mode: 'galil';
      maxBytes?: number;
    }
  | {
      /** Binary frames: a fixed length, or a function of the bytes so far. */
      mode: 'length';
      /**
       * Total frame length in bytes, or a function that returns it once the header is complete
       * (`undefined` while it needs more bytes) and throws `InvalidInputError` for a bad header.
       */
      length: number | ((buf: Uint8Array, len: number) => number | undefined);
      maxBytes?: number;
    };

// ---------------------------------------------------------------------------------------------
// Request channels

/** Connection state of a request channel. */
export type ChannelState = 'connecting' | 'connected' | 'disconnected' | 'reconnecting' | 'closed';

/** Details that come with a state change. */
export interface StateDetail {
  /** Why the link was lost or an attempt failed. */
  error?: Error;
  /** Reconnect attempt number (1-based) for `reconnecting`. */
  attempt?: number;
  /** Wait before that attempt, in milliseconds. */
  delayMs?: number;
}

/** One reply frame. */
export interface Reply {
  /** Payload bytes, without delimiter or prompt. */
  readonly bytes: Uint8Array;
  /** Payload decoded as latin1 (one char per byte; computed on first use). */
  readonly text: string;
  /** Delimiter or prompt that ended the reply ('' for length-framed replies). */
  readonly end: string;
  /** Address the reply carried, if the framer parsed one. */
  readonly address?: string;
}

/** Options of one request. */
export interface RequestOptions extends WaitOptions {
  /**
   * Time allowed from the call until the reply, queue wait included, in milliseconds.
   * Defaults to the channel's `timeoutMs`.
   */
  timeoutMs?: number;
  /** `high` (stop, e-stop) goes before every normal request still queued. Default `normal`. */
  priority?: 'normal' | 'high';
  /**
   * With `priority: 'high'`, cancel the command now on the wire (it rejects with
   * `CanceledError`) and send this one at once. The first frame after an interrupt may be the
   * interrupted command's reply unless `match` tells them apart.
   */
  interrupt?: boolean;
  /** Frame this request's reply differently from the channel default. */
  expect?: FramingSpec | Framer;
  /** Accept a frame as this request's reply; frames it refuses are discarded as stale. */
  match?: (reply: Reply, command: Uint8Array) => boolean;
}

/**
 * Send commands and read replies over one byte stream, one command on the wire at a time.
 *
 * - `request` resolves with the reply frame. It rejects with: `TimeoutError` when no matching
 *   reply arrived within `timeoutMs` of the call (then the channel waits for a quiet line and
 *   discards the late reply, so it is never given to the next request); `CanceledError` when the
 *   signal aborts, when an interrupt displaced it, or when the channel is closed;
 *   `DisconnectedError` when the link drops while it is queued or on the wire; `DeviceError`
 *   when the frame's delimiter says the device rejected the command (Galil `?`);
 *   `InvalidInputError` for a command that cannot be encoded or a reply that cannot be framed.
 * - Requests are served first in, first out; `priority: 'high'` jumps the queue.
 * - `send` writes a command that gets no reply, in the same queue; it resolves once written.
 *   Use `request` for every command the device answers, or its answer would be taken for the
 *   next reply.
 * - After a lost link the channel reconnects with bounded exponential backoff and reports each
 *   step through `onState`. Requests made while it reconnects wait (within their timeout).
 * - `close()` rejects queued requests with `CanceledError`, stops reconnecting and releases the
 *   stream; later calls reject with `DisconnectedError`.
 * - A `Uint8Array` command is sent as given (not copied): do not change it before it settles.
 */
export interface RequestChannel {
  /** Address of the underlying stream. */
  readonly address: string;
  /** Current connection state. */
  readonly state: ChannelState;
  /** Open the stream (first connect); rejects like `ByteStream.open`. */
  open(options?: WaitOptions): Promise<void>;
  /** Send a command and resolve with its reply. */
  request(command: Uint8Array | string, options?: RequestOptions): Promise<Reply>;
  /** Send a command that gets no reply; resolves once written. */
  send(command: Uint8Array | string, options?: Omit<RequestOptions, 'expect' | 'match'>): Promise<void>;
  /** Listen to state changes. */
  onState(listener: (state: ChannelState, detail: StateDetail) => void): Unsubscribe;
  /** Address one device on a multi-drop line; the view shares this channel's queue. */
  forAddress(address: string): RequestChannel;
  /** Stop and release (see the interface notes). */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Register bus (Modbus)

/** Options of one register call. */
export interface RegisterOptions extends WaitOptions {
  /** Modbus unit (slave) id; defaults to the bus's unit (URI `?unit=`). */
  unit?: number;
}

/**
 * Read and write Modbus-style registers and bits on one link (TCP or an RTU line).
 *
 * Addresses are 0-based protocol addresses (holding register 40001 is address 0). Each call
 * resolves once the matching response arrived. A Modbus exception response rejects with a
 * `DeviceError` whose `vendorCode` is the exception code (1 illegal function, 2 illegal data
 * address, 3 illegal data value, 4 server device failure, ...). A bad address, count or value
 * (out of 0..65535, count beyond the protocol limit) rejects with `InvalidInputError` before any
 * byte is sent. Timeouts, cancellation and disconnects follow the module rules.
 */
export interface RegisterBus {
  /** Address of the bus, e.g. `modbus+tcp://127.0.0.1:502?unit=1`. */
  readonly address: string;
  /** Read `count` holding registers (function 3). */
  readHolding(address: number, count: number, options?: RegisterOptions): Promise<Uint16Array>;
  /** Read `count` input registers (function 4). */
  readInput(address: number, count: number, options?: RegisterOptions): Promise<Uint16Array>;
  /** Read `count` coils (function 1). */
  readCoils(address: number, count: number, options?: RegisterOptions): Promise<boolean[]>;
  /** Read `count` discrete inputs (function 2). */
  readDiscrete(address: number, count: number, options?: RegisterOptions): Promise<boolean[]>;
  /** Write one holding register, value 0..65535 (function 6). */
  writeSingle(address: number, value: number, options?: RegisterOptions): Promise<void>;
  /** Write consecutive holding registers (function 16). */
  writeMultiple(address: number, values: ArrayLike<number>, options?: RegisterOptions): Promise<void>;
  /** Write one coil (function 5). */
  writeCoil(address: number, value: boolean, options?: RegisterOptions): Promise<void>;
  /** Write consecutive coils (function 15). */
  writeCoils(address: number, values: ArrayLike<boolean>, options?: RegisterOptions): Promise<void>;
  /** Release the link; pending calls reject with `CanceledError`. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Node client (OPC UA)

/** A value read from a node. */
export interface NodeValue<T = unknown> {
  value: T;
  /** Source timestamp, seconds since the epoch (server time if the source gave none). */
  timestamp: number;
  /** OPC UA status code name, e.g. `Good`. */
  status: string;
}

/** One reference found by browsing. */
export interface BrowseEntry {
  nodeId: string;
  browseName: string;
  /** OPC UA node class, e.g. `Variable`, `Object`, `Method`. */
  nodeClass: string;
}

/**
 * Read, write, watch and browse nodes of an OPC UA server.
 *
 * `read`/`write`/`browse` resolve with the server's answer; a bad status code rejects with a
 * `DeviceError` whose `vendorCode` is the status name. `subscribe` resolves once the monitored
 * item exists; the listener then gets the current value and each change until `unsubscribe()`
 * resolves. When the session is lost the client reconnects and re-creates subscriptions;
 * calls in flight at the loss, and calls made while it reconnects, reject with
 * `DisconnectedError` (an implementation may offer waiting within the call's timeout instead,
 * as labrig's OpcuaClient does with `whileReconnecting: 'wait'`).
 */
export interface NodeClient {
  /** Endpoint, e.g. `opc.tcp://127.0.0.1:4840`. */
  readonly address: string;
  /** Read one node's value. */
  read<T = unknown>(nodeId: string, options?: WaitOptions): Promise<NodeValue<T>>;
  /** Write one node's value. */
  write(nodeId: string, value: unknown, options?: WaitOptions): Promise<void>;
  /** Watch a node; `samplingIntervalMs` is the server-side sampling period. */
  subscribe<T = unknown>(
    nodeId: string,
    listener: (value: NodeValue<T>) => void,
    options?: WaitOptions & { samplingIntervalMs?: number },
  ): Promise<{ unsubscribe(): Promise<void> }>;
  /** List the references of a node. */
  browse(nodeId: string, options?: WaitOptions): Promise<BrowseEntry[]>;
  /** Close the session and the connection. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// FFI library

/** Where and how to find a native library. */
export interface FfiLoadOptions {
  /** Device or library name used in error messages. */
  name: string;
  /** Candidate file names per platform (`process.platform`), tried in order. */
  fileNames: Partial<Record<NodeJS.Platform, readonly string[]>>;
  /** Extra directories tried before the system's search path. */
  searchPaths?: readonly string[];
  /** Vendor error codes mapped to texts (see `DeviceError.fromCode`). */
  errors?: VendorCodeTable;
}

/**
 * A loaded native library with typed functions.
 *
 * Loading fails with `DisconnectedError` listing every path tried. `bind` declares a function by
 * its C signature and returns a typed JS function; a wrong signature is an `InvalidInputError`.
 * `check(code, fn)` throws the `DeviceError` the vendor table gives for a non-success code.
 * Callbacks registered with the library run on the JS thread.
 */
export interface FfiLibrary {
  /** Path of the file that was loaded. */
  readonly path: string;
  /** Bind a C function by signature, e.g. `int32 DAQmxStartTask(void *task)`. */
  bind<F extends (...args: never[]) => unknown>(signature: string): F;
  /** Throw the mapped `DeviceError` when `code` is not a success code (`fn` names the call). */
  check(code: number, fn: string): void;
  /** Unload the library; bound functions must not be called afterwards. */
  unload(): void;
}
