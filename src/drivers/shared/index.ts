/**
 * labrig/drivers/shared: what a driver family is built from — the signal vocabulary
 * (`signalR`, `signalRW`, `signalW`, `signalX` over a {@link SignalContext}) and the shared poll.
 * labrig's own families use exactly these.
 * @module
 */
export {
  QueriedBackend, SignalContext, signalR, signalRW, signalW, signalX,
  type CommandLayer, type SignalContextOptions, type SignalSpec,
} from './signals.js';
export { QueryPoll, SharedPoll, followPoll, pollChanges, transportSource, type Stamped } from './polled.js';
export { refusingTransport } from './refusing.js';
