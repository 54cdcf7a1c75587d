/** The bath's physics and its command interpreter (answers the real bytes, CR-terminated). */

/** A bath whose temperature approaches the setpoint exponentially while running. */
export class BathModel {
  temperature = 21.5;
  setpoint = 21.5;
  running = false;
  #at = performance.now();
  /** Time constant, ms. */
  readonly tauMs: number;

  constructor(tauMs = 300) {
    this.tauMs = tauMs;
  }

  /** Advance the physics to now. */
  step(): void {
    const now = performance.now();
    const dt = now - this.#at;
    this.#at = now;
    if (this.running) this.temperature = this.setpoint + (this.temperature - this.setpoint) * Math.exp(-dt / this.tauMs);
  }

  /** Answer one command line (without its CR); the reply includes its CR. */
  onLine(line: string): string {
    this.step();
    const [verb, arg] = line.trim().split(/\s+/);
    switch (verb) {
      case 'TEMP?':
        return `${this.temperature.toFixed(2)}\r`;
      case 'SP?':
        return `${this.setpoint.toFixed(2)}\r`;
      case 'SP': {
        const v = Number(arg);
        if (arg === undefined || !Number.isFinite(v) || v < -20 || v > 200) return 'ERR 2\r';
        this.setpoint = v;
        this.running = true;
        return 'OK\r';
      }
      case 'START':
        this.running = true;
        return 'OK\r';
      case 'STOP':
        this.running = false;
        return 'OK\r';
      default:
        return 'ERR 1\r';
    }
  }
}
