/** BathIO: the bath's command layer, one method per command, on a RequestChannel. */
import type { RequestChannel } from 'labrig/protocols';
import { encodeSetpoint, parseNumber, parseOk } from './protocol.js';

/** The bath's commands. */
export class BathIO {
  readonly #channel: RequestChannel | undefined;

  /** Talk over `channel` (undefined: a bath for the mock tier). */
  constructor(channel: RequestChannel | undefined) {
    this.#channel = channel;
  }

  /** The channel's address ('' without one). */
  get address(): string {
    return this.#channel?.address ?? '';
  }

  /** Open the channel. */
  async open(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.#channel?.open(options);
  }

  /** Close the channel. */
  async close(): Promise<void> {
    await this.#channel?.close();
  }

  /** `TEMP?`: the bath temperature, degC. */
  async temperature(): Promise<number> {
    return parseNumber(await this.#ask('TEMP?'));
  }

  /** `SP?`: the setpoint, degC. */
  async setpoint(): Promise<number> {
    return parseNumber(await this.#ask('SP?'));
  }

  /** `SP n`: set the setpoint, degC. */
  async setSetpoint(degC: number): Promise<void> {
    parseOk(await this.#ask(encodeSetpoint(degC)));
  }

  /** `START` / `STOP` the circulator and heater. */
  async run(on: boolean): Promise<void> {
    parseOk(await this.#ask(on ? 'START' : 'STOP'));
  }

  async #ask(command: string): Promise<string> {
    if (!this.#channel) throw new Error('bath: no channel (mock use)');
    return (await this.#channel.request(command)).text;
  }
}
