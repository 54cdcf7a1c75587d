/** A SignalBackend for tests that counts calls and can delay or fail its connect. */
import type { DataKey, Reading } from '../../../src/core/protocols.js';
import type { ReadingListener, SignalBackend } from '../../../src/core/signal/backend.js';

export class CountingBackend implements SignalBackend<number> {
  value: number;
  listener: ReadingListener<number> | undefined;
  setCallbackCalls: Array<'start' | 'stop'> = [];
  getReadingCalls = 0;
  connectCalls = 0;
  /** When set, connect waits for this promise (or rejects with it if it rejects). */
  connectGate: Promise<void> | undefined;
  connectError: Error | undefined;
  datakeyError: Error | undefined;
  units = 'V';

  constructor(value = 0) {
    this.value = value;
  }
  source(name: string): string {
    return `fake://${name}`;
  }
  async connect(): Promise<void> {
    this.connectCalls++;
    if (this.connectGate) await this.connectGate;
    if (this.connectError) throw this.connectError;
  }
  async getReading(): Promise<Reading<number>> {
    this.getReadingCalls++;
    return { value: this.value, timestamp: 1 };
  }
  async getValue(): Promise<number> {
    return (await this.getReading()).value;
  }
  async getSetpoint(): Promise<number> {
    return this.value;
  }
  async getDatakey(source: string): Promise<DataKey> {
    if (this.datakeyError) throw this.datakeyError;
    return { source, dtype: 'number', shape: [], units: this.units, precision: 2 };
  }
  async put(value: number | undefined): Promise<void> {
    if (value !== undefined) this.push(value);
  }
  setCallback(listener: ReadingListener<number> | undefined): void {
    this.setCallbackCalls.push(listener ? 'start' : 'stop');
    this.listener = listener;
    if (listener) queueMicrotask(() => this.listener?.({ value: this.value, timestamp: 1 }));
  }
  /** Change the value as the hardware would. */
  push(value: number): void {
    this.value = value;
    this.listener?.({ value, timestamp: 2 });
  }
}

/** Let pending promise callbacks and immediates run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
