// Process-state helpers for fault tests that freeze a server with SIGSTOP.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resolve once every thread of `pid` is stopped (state T in /proc), bounded to 10 s. kill()
 * returns before the threads have stopped; on a loaded machine a request sent at once can still
 * be answered by a thread that has not been scheduled since.
 */
export async function waitStopped(pid: number): Promise<void> {
  const until = Date.now() + 10000;
  for (;;) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return; // no /proc here (or the process is gone): best effort
    }
    const states: string[] = [];
    for (const tid of tids) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // that thread ended between the listing and the read: it answers nothing
      }
      states.push(/\) (\S)/.exec(stat)?.[1] ?? '?');
    }
    if (states.every((s) => s === 'T' || s === 't')) return;
    if (Date.now() > until) throw new Error(`process ${pid} did not stop in 10 s (thread states ${states.join('')})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
