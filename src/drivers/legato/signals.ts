/**
 * The signal context of one pump: its {@link StatusSource} (the values of `status` — state,
 * running, direction, stall, target, volume, time, rate — come from one shared poll) for the
 * shared signal vocabulary (`../shared/signals.ts`); other values have their own query/command.
 * @module
 */
import { QueryPoll, type Stamped } from '../shared/polled.js';
import { SignalContext } from '../shared/signals.js';
import type { LegatoIO, StatusReport } from './io.js';

/** A status report with the time it arrived (seconds since the epoch). */
export type StampedStatus = Stamped<'status', StatusReport>;

/** Share `status` polls of one pump among its signals: reads made together share one `status` command. */
export class StatusSource extends QueryPoll<'status', StatusReport> {
  /** Poll through the LegatoIO that `io` returns. */
  constructor(io: () => LegatoIO, pollMs = 100) {
    super('status', () => io().status(), pollMs);
  }
}

/** What a pump's signals share. */
export type LegatoContext = SignalContext<LegatoIO, StampedStatus>;

/** Build the context of a pump's signals over the command layer `commands` returns (one status source). */
export function legatoContext(commands: () => LegatoIO, timeoutMs: number): LegatoContext {
  return new SignalContext<LegatoIO, StampedStatus>({
    family: 'legato',
    commands,
    prefix: () => `${commands().pump}/`,
    poll: new StatusSource(commands, 100),
    timeoutMs,
    pollMs: 200,
  });
}
