/**
 * One connection's command parser: buffers bytes, cuts commands at CR or `;` (outside quotes),
 * answers each with its own `:` / value + CR LF + `:` / `?`, and after a `?` skips the rest of
 * the line (up to the next CR). Each connection keeps its own last TC code.
 * @module
 */
import { COMMANDS } from './commands.js';
import type { GalilModel } from './model.js';

/** Longest command line kept before it is dropped (TC 5, input buffer full). */
const MAX_LINE = 1024;

/** Parse and answer one connection's commands against a shared model. */
export class GalilSession {
  readonly model: GalilModel;
  /** TC code of the last rejected command. */
  lastError = 0;
  #buf = '';
  #lineFailed = false;
  #lineHasCommands = false;

  constructor(model: GalilModel) {
    this.model = model;
  }

  /** Take received bytes (latin1) and return the reply bytes ('' when nothing is due yet). */
  feed(text: string): string {
    this.#buf += text;
    let out = '';
    for (;;) {
      const at = this.#terminator();
      if (at < 0) break;
      const term = this.#buf[at];
      const cmd = this.#buf.slice(0, at).replace(/[\n\r]/g, '').trim();
      this.#buf = this.#buf.slice(at + 1);
      out += this.#one(cmd, term === '\r');
    }
    if (this.#buf.length > MAX_LINE) {
      this.#buf = '';
      this.lastError = 5;
      this.#lineFailed = true;
      out += '?';
    }
    return out;
  }

  #terminator(): number {
    let quoted = false;
    for (let i = 0; i < this.#buf.length; i++) {
      const c = this.#buf[i];
      if (c === '"') quoted = !quoted;
      else if (c === '\r' || (c === ';' && !quoted)) return i;
    }
    return -1;
  }

  #one(cmd: string, endOfLine: boolean): string {
    let out = '';
    if (!this.#lineFailed) {
      if (cmd !== '') {
        out = this.execute(cmd);
        this.#lineHasCommands = true;
        if (out === '?') this.#lineFailed = true;
      } else if (endOfLine && !this.#lineHasCommands) {
        out = ':';
      }
    }
    if (endOfLine) {
      this.#lineFailed = false;
      this.#lineHasCommands = false;
    }
    return out;
  }

  /** Run one command and return its framed reply (`:`, `value\r\n:` or `?`). */
  execute(cmd: string): string {
    this.model.commands++;
    const name = cmd.slice(0, 2);
    const handler = /^[A-Z]{2}$/.test(name) ? COMMANDS[name] : undefined;
    let result: string | number;
    try {
      result = handler ? handler(cmd.slice(2), { model: this.model, now: this.model.now(), lastError: this.lastError }) : 1;
    } catch {
      result = 1; // a handler bug looks like an unrecognised command, never a crash
    }
    if (typeof result === 'number') {
      this.lastError = result;
      return '?';
    }
    return result === '' ? ':' : `${result}\r\n:`;
  }
}
