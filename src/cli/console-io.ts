/**
 * The console side of the commands that take an injectable IO (`seq`, `action`, `remote`): lines
 * to stdout and stderr, and Ctrl-C as the interrupt.
 * @module
 */

/** Print to the console and hear Ctrl-C. */
export interface ConsoleIO {
  out(line: string): void;
  err(line: string): void;
  /** Register the Ctrl-C handler; returns the unregister function. */
  onInterrupt(handler: () => void): () => void;
}

/** stdout, stderr and SIGINT of this process. */
export const CONSOLE_IO: ConsoleIO = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  onInterrupt(h) {
    process.on('SIGINT', h);
    return () => void process.off('SIGINT', h);
  },
};
