/**
 * The PyTango sidecar backend passes the backend conformance suite against the real TangoTest
 * and labrig's event server (its own faults: faults.test.ts).
 */
import t from 'tap';
import { TangoSidecarBackend } from '../../../src/drivers/tango/sidecar.js';
import { tangoTestAvailable } from '../../../src/sim/tango/index.js';
import { runBackendConformance } from './backend-conformance.js';

const skip = tangoTestAvailable() ? false : 'TangoTest/PyTango not installed (apt-get install tango-test python3-tango)';
t.setTimeout(300000);

t.test('conformance', { skip }, async (t) => {
  runBackendConformance(t, () => new TangoSidecarBackend({ timeoutMs: 5000 }));
});
