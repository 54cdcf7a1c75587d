/**
 * The connection side of a request channel: opening the stream, noticing its loss, reconnecting
 * with bounded backoff, and reporting each state to listeners.
 * @module
 */
import { DisconnectedError, toError } from '../../core/errors.js';
import type { ByteStream, ChannelState, StateDetail, Unsubscribe, WaitOptions } from '../contracts.js';
import { Backoff, type ReconnectOptions } from './backoff.js';

/** What the link tells its channel. */
export interface LinkHooks {
  /** The stream is open (first open or a reconnect): bytes may flow. */
  connected(): void;
  /** The stream was lost (pending work must fail); reconnecting follows if enabled. */
  lost(err: DisconnectedError): void;
  /** The link closed for good (gave up reconnecting). */
  gaveUp(err: DisconnectedError): void;
}

/** Keep one ByteStream connected and report its state. */
export class Link {
  private readonly stream: ByteStream;
  private readonly name: string;
  private readonly backoff: Backoff | undefined;
  private readonly hooks: LinkHooks;
  private readonly listeners = new Set<(state: ChannelState, detail: StateDetail) => void>();
  private readonly unsubClose: Unsubscribe;
  private current: ChannelState = 'disconnected';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private ended = false;

  constructor(stream: ByteStream, name: string, reconnect: ReconnectOptions | false | undefined, hooks: LinkHooks) {
    this.stream = stream;
    this.name = name;
    this.hooks = hooks;
    this.backoff = reconnect === false ? undefined : new Backoff(reconnect ?? {});
    this.unsubClose = stream.onClose(this.onStreamClose);
    if (stream.isOpen) this.current = 'connected';
  }

  /** Current state. */
  get state(): ChannelState {
    return this.current;
  }

  /** True once closed by `close()` or after giving up. */
  get closed(): boolean {
    return this.ended;
  }

  /** True while a reconnect wait is scheduled. */
  get waiting(): boolean {
    return this.reconnectTimer !== undefined;
  }

  /** Listen to state changes. */
  onState(listener: (state: ChannelState, detail: StateDetail) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Open the stream now (also cuts a reconnect wait short); resolves at once when connected. */
  open(options: WaitOptions = {}): Promise<void> {
    if (this.ended) return Promise.reject(new DisconnectedError({ device: this.name, detail: 'channel is closed' }));
    if (this.current === 'connected') return Promise.resolve();
    if (this.opening) return this.opening;
    const reconnecting = this.current === 'reconnecting';
    this.clearReconnect();
    this.setState('connecting', {});
    this.opening = this.stream.open(options).then(
      () => {
        this.opening = undefined;
        this.onOpened();
      },
      (err: unknown) => {
        this.opening = undefined;
        if (!this.ended) {
          if (reconnecting) this.scheduleReconnect(toError(err));
          else this.setState('disconnected', { error: toError(err) });
        }
        throw err;
      },
    );
    return this.opening;
  }

  /** Stop reconnecting, report `closed` and release the stream. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.ended = true;
    this.clearReconnect();
    this.unsubClose();
    this.setState('closed', {});
    this.closing = this.stream.close();
    return this.closing;
  }

  private onOpened(): void {
    if (this.ended) {
      void this.stream.close();
      return;
    }
    if (this.current === 'connected') return; // open() and a reconnect attempt met on one open
    this.backoff?.reset();
    this.setState('connected', {});
    this.hooks.connected();
  }

  private readonly onStreamClose = (reason: Error | undefined): void => {
    if (this.ended) return;
    const err = reason instanceof DisconnectedError ? reason : new DisconnectedError({ device: this.name, detail: reason?.message ?? 'stream closed', cause: reason });
    this.setState('disconnected', { error: err });
    this.hooks.lost(err);
    if (this.backoff) this.scheduleReconnect(err);
  };

  private scheduleReconnect(error: Error): void {
    if (this.ended) return;
    const delayMs = this.backoff!.next();
    if (delayMs === undefined) {
      const err = new DisconnectedError({ device: this.name, detail: `gave up reconnecting after ${this.backoff!.attempts - 1} attempts`, cause: error });
      this.ended = true;
      this.unsubClose();
      this.hooks.gaveUp(err);
      this.setState('closed', { error: err });
      this.closing = this.stream.close();
      return;
    }
    this.setState('reconnecting', { error, attempt: this.backoff!.attempts, delayMs });
    this.reconnectTimer = setTimeout(this.tryReconnect, delayMs);
  }

  private readonly tryReconnect = (): void => {
    this.reconnectTimer = undefined;
    if (this.ended) return;
    this.stream.open({ timeoutMs: this.backoff!.connectTimeoutMs }).then(
      () => this.onOpened(),
      (err: unknown) => this.scheduleReconnect(toError(err)),
    );
  };

  private clearReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private setState(state: ChannelState, detail: StateDetail): void {
    this.current = state;
    for (const l of [...this.listeners]) {
      try {
        l(state, detail);
      } catch (err) {
        process.emitWarning(`state listener of ${this.name} threw: ${toError(err).message}`);
      }
    }
  }
}
