/**
 * `labrig sim <args>` in a child process (the CLI module run through tsx): resolves once the child
 * printed its first stdout line (the simulator's address), with a bounded wait; the child is
 * signalled and awaited in the test's teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const simModule = fileURLToPath(new URL('../../src/cli/sim.ts', import.meta.url));

/** A started `labrig sim` child. */
export interface SimChild {
  readonly child: ChildProcess;
  /** Its first stdout line. */
  readonly first: string;
  /** Resolves with its exit code. */
  readonly exited: Promise<number | null>;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
}

/** Start `labrig sim ARGS`; `teardownSignal` (default SIGKILL) ends it after the test if it still runs. */
export async function startSimChild(
  t: { teardown(fn: () => void | Promise<void>): void },
  args: string[],
  { timeoutMs = 60_000, teardownSignal = 'SIGKILL' }: { timeoutMs?: number; teardownSignal?: NodeJS.Signals } = {},
): Promise<SimChild> {
  const code = `const { simCli } = await import(${JSON.stringify(simModule)}); process.exitCode = await simCli(${JSON.stringify(args)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(teardownSignal);
    await exited;
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no address within ${timeoutMs / 1000} s; stderr: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${c} before printing an address; stderr: ${stderr}`));
    });
  });
  return { child, first, exited, stderr: () => stderr };
}
