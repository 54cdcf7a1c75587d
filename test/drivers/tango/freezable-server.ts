// labrig's Tango event server for fault tests that freeze it with SIGSTOP.
import type { Test } from 'tap';
import { startTangoEventServer } from '../../../src/sim/tango/index.js';
import { waitStopped } from '../../helpers/process-state.js';

/** The event server, stopped at the test's end; see {@link startFreezableEventServer}. */
export interface FreezableEventServer {
  readonly address: string;
  /** SIGSTOP the server and resolve once every thread of it is stopped (kill() returns earlier). */
  freeze(): Promise<void>;
  /** SIGCONT it (also done at the test's end after a freeze). */
  resume(): void;
}

/** Start the event server for `t`; it is closed, and resumed if frozen, when `t` ends. */
export async function startFreezableEventServer(t: Test): Promise<FreezableEventServer> {
  const ev = await startTangoEventServer();
  t.teardown(() => ev.close());
  const resume = (): void => {
    if (ev.pid) process.kill(ev.pid, 'SIGCONT');
  };
  return {
    address: ev.address,
    async freeze() {
      process.kill(ev.pid!, 'SIGSTOP');
      t.teardown(resume);
      await waitStopped(ev.pid!);
    },
    resume,
  };
}
