/**
 * The Tango simulator descriptor: `sim:tango[?server=tangotest|events]` starts a real Tango
 * device server on 127.0.0.1 (Debian's TangoTest `sys/tg_test/1`, or labrig's PyTango event
 * server `labrig/events/1`, both without a database) and `labrig sim tango [--events]` prints its
 * address. Needs Debian's `tango-test` and `python3-tango`.
 * @module
 */
import type { ParamSchema } from '../../protocols/params.js';
import { defineSimulator } from '../family.js';

/** The usage line of `labrig sim tango`. */
export const TANGO_SIM_USAGE = 'usage: labrig sim tango [--events] [--port N]';

/** Parameters of `sim:tango`. */
export const TANGO_SIM_PARAMS = {
  server: { type: 'string', choices: ['tangotest', 'events'], lowerCase: true, default: 'tangotest', doc: "Debian's TangoTest (sys/tg_test/1) or labrig's event server (labrig/events/1)" },
} as const satisfies ParamSchema;

/** Checked `sim:tango` parameters. */
export interface TangoSimParams {
  server?: 'tangotest' | 'events';
}

/** The Tango simulator descriptor (see the module notes). */
export const tangoSimulator = defineSimulator<TangoSimParams>({
  name: 'tango',
  family: 'tango',
  title: "real Tango device servers on 127.0.0.1: Debian's TangoTest, or labrig's PyTango event server",
  params: TANGO_SIM_PARAMS,
  async start(params) {
    const { startTangoEventServer, startTangoTest } = await import('./server.js');
    const s = params.server === 'events' ? await startTangoEventServer() : await startTangoTest();
    return { uri: s.address, handle: s, close: () => s.close() };
  },
  usage: TANGO_SIM_USAGE,
  cli: async (args) => (await import('./cli.js')).simTangoCli(args),
});
