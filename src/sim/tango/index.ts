/**
 * Tango simulators: real Tango device servers on 127.0.0.1 (Debian's TangoTest and labrig's
 * PyTango event server) for tests, demos and `sim:tango` rig entries.
 * @module
 */
export {
  EVENT_SERVER_PY,
  TANGO_PYTHON,
  TANGO_TEST_BIN,
  freeLoopbackPort,
  startTangoEventServer,
  startTangoTest,
  tangoTestAvailable,
  type TangoServer,
  type TangoServerOptions,
} from './server.js';
export { tangoSimulator, TANGO_SIM_PARAMS, TANGO_SIM_USAGE, type TangoSimParams } from './family.js';
