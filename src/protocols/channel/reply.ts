/**
 * Reply frames and multi-drop addressing helpers for request channels.
 * @module
 */
import type { Reply } from '../contracts.js';

/** One reply frame; `text` is decoded (latin1) on first use only. */
export class ReplyFrame implements Reply {
  readonly bytes: Buffer;
  readonly end: string;
  readonly address: string | undefined;
  private decoded: string | undefined;

  constructor(bytes: Buffer, end: string, address?: string) {
    this.bytes = bytes;
    this.end = end;
    this.address = address;
  }

  /** Payload as latin1 text. */
  get text(): string {
    if (this.decoded === undefined) this.decoded = this.bytes.toString('latin1');
    return this.decoded;
  }
}

/**
 * Address several devices that share one line (RS-485 multi-drop).
 * `encode` builds the bytes for a command to one address (before the channel's suffix);
 * `replyAddress` tells which device a reply came from (`undefined`: cannot tell, accept it).
 */
export interface Addressing {
  /** Build the addressed command. */
  encode(address: string, command: Uint8Array): Uint8Array;
  /** Tell the address a reply came from. */
  replyAddress(reply: Reply): string | undefined;
}

/** Options of `prefixAddressing`. */
export interface PrefixAddressingOptions {
  /** Text between address and command, e.g. ' '. Default ''. */
  separator?: string;
  /**
   * Read the sender's address from a reply. Default: the address the framer parsed (e.g. a
   * pump's `01:` prompt), else unknown. Alicat-style replies start with the unit id and a space:
   * `(r) => r.text.split(' ', 1)[0]`.
   */
  replyAddress?: (reply: Reply) => string | undefined;
}

/** Address devices by a text prefix before each command (Alicat unit ids, pump addresses). */
export function prefixAddressing(options: PrefixAddressingOptions = {}): Addressing {
  const sep = options.separator ?? '';
  const read = options.replyAddress ?? ((r: Reply) => r.address);
  return {
    encode(address, command) {
      const head = Buffer.from(address + sep, 'latin1');
      const out = Buffer.allocUnsafe(head.length + command.length);
      head.copy(out, 0);
      out.set(command, head.length);
      return out;
    },
    replyAddress: read,
  };
}
