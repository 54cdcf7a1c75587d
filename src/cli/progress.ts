/**
 * A one-line progress bar for terminals, fed by Status progress or by counts.
 * @module
 */
import type { Status, StatusProgress } from '../core/status.js';

/** Draw `fraction` (0..1) as a bar of `width` characters. */
export function renderBar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/** Format one progress update as a line: name, bar, current/target, elapsed and remaining time. */
export function formatProgress(p: StatusProgress): string {
  const units = p.units ? ` ${p.units}` : '';
  const prec = p.precision ?? 3;
  const left = p.remainingMs === undefined ? '' : `, ${(p.remainingMs / 1000).toFixed(1)} s left`;
  return `${p.name} ${renderBar(p.fraction)} ${p.current.toFixed(prec)}/${p.target.toFixed(prec)}${units} (${(p.elapsedMs / 1000).toFixed(1)} s${left})`;
}

/** Writes progress lines to a stream: redraws in place on a TTY, prints sparse lines otherwise. */
export class ProgressPrinter {
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean };
  #lastLen = 0;
  #lastPlain = -1;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr) {
    this.#stream = stream;
  }

  /** Show a line (replacing the previous one on a TTY). */
  show(line: string, fraction: number): void {
    if (this.#stream.isTTY) {
      this.#stream.write(`\r${line.padEnd(this.#lastLen)}`);
      this.#lastLen = line.length;
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== this.#lastPlain) {
        this.#lastPlain = decile;
        this.#stream.write(`${line}\n`);
      }
    }
  }

  /** Follow a Status until it is done. */
  follow(status: Status<unknown>): void {
    const off = status.watch((p) => this.show(formatProgress(p), p.fraction));
    status.addCallback(() => {
      off();
      this.end();
    });
  }

  /** Finish the current line. */
  end(): void {
    if (this.#stream.isTTY && this.#lastLen) this.#stream.write('\n');
    this.#lastLen = 0;
    this.#lastPlain = -1;
  }
}
