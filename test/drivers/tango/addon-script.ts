// Scripts the addon tests run in a child process (under tsx), so that what the process does at
// its end (exit, hang, crash) is what the test observes.
import { fileURLToPath } from 'node:url';
import { TANGO_ADDON_PATH, tangoAddonAvailable } from '../../../src/drivers/tango/addon.js';
import { tangoTestAvailable } from '../../../src/sim/tango/index.js';

/** Why the addon's tests skip here (no TangoTest/PyTango, or the addon not built), or false. */
export const addonSkip: string | false = !tangoTestAvailable()
  ? 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)'
  : !tangoAddonAvailable()
    ? `the Tango addon is not built (${TANGO_ADDON_PATH}): install libtango-dev and run npm run build:native`
    : false;

const source = (path: string): string => JSON.stringify(fileURLToPath(new URL(`../../../src/${path}`, import.meta.url)));

/**
 * A module script importing `TangoAddonBackend`, `parseTangoAddress` and `startTangoEventServer`
 * from the sources; with `address`, it also opens `b`, a backend connected to that device
 * (limits 5 s per call, 20 s to connect), before `body`.
 */
export function addonScript(body: string, address?: string): string {
  const open = address === undefined ? '' : `
    const b = new TangoAddonBackend({ timeoutMs: 5000 });
    await b.connect(parseTangoAddress(${JSON.stringify(address)}), { timeoutMs: 20000 });`;
  return `
    import { TangoAddonBackend } from ${source('drivers/tango/addon.ts')};
    import { parseTangoAddress } from ${source('drivers/tango/backend.ts')};
    import { startTangoEventServer } from ${source('sim/tango/index.ts')};${open}
    ${body}
  `;
}
