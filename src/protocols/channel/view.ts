/**
 * A per-address view of a multi-drop request channel: same queue, same stream, its own address.
 * @module
 */
import { DisconnectedError } from '../../core/errors.js';
import type { ChannelState, Reply, RequestChannel, RequestOptions, StateDetail, Unsubscribe, WaitOptions } from '../contracts.js';
import type { StreamRequestChannel } from './channel.js';

/** Talk to one device of a multi-drop line through the shared channel. */
export class AddressView implements RequestChannel {
  readonly address: string;
  private readonly parent: StreamRequestChannel;
  private closed = false;

  constructor(parent: StreamRequestChannel, address: string) {
    this.parent = parent;
    this.address = address;
  }

  /** State of the shared channel. */
  get state(): ChannelState {
    return this.closed ? 'closed' : this.parent.state;
  }

  /** Open the shared channel (no-op when it is connected). */
  open(options?: WaitOptions): Promise<void> {
    return this.parent.open(options);
  }

  /** Send an addressed command; only replies from this address (or unaddressed ones) count. */
  request(command: Uint8Array | string, options?: RequestOptions): Promise<Reply> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: `${this.parent.name}/${this.address}`, detail: 'address view is closed' }));
    return this.parent.enqueue(command, options, true, this.address, this) as Promise<Reply>;
  }

  /** Send an addressed command that gets no reply. */
  send(command: Uint8Array | string, options?: Omit<RequestOptions, 'expect' | 'match'>): Promise<void> {
    if (this.closed) return Promise.reject(new DisconnectedError({ device: `${this.parent.name}/${this.address}`, detail: 'address view is closed' }));
    return this.parent.enqueue(command, options, false, this.address, this) as Promise<void>;
  }

  /** Listen to the shared channel's state. */
  onState(listener: (state: ChannelState, detail: StateDetail) => void): Unsubscribe {
    return this.parent.onState(listener);
  }

  /** Address another device of the same line. */
  forAddress(address: string): RequestChannel {
    return this.parent.forAddress(address);
  }

  /** Cancel this view's requests (CanceledError); the shared channel stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.parent.cancelView(this);
  }
}
