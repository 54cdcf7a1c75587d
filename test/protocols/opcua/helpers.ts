/**
 * Shared pieces of the OPC UA tests: a node list with one node per data type, a temporary
 * folder for certificates and temporary files, and waiting helpers with hang guards.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { routeOpcuaLogs } from '../../../src/protocols/opcua/index.js';
import type { SimNodeSpec } from '../../../src/sim/opcua/index.js';

// node-opcua's warnings (certificate creation, PKCS#1 notices) only clutter test output.
routeOpcuaLogs(process.env.LABRIG_OPCUA_LOG === 'stderr' ? 'stderr' : 'silent');

/** Nodes for the tests: static values (changed with `sim.set`) so reads are deterministic. */
export const TEST_NODES: SimNodeSpec[] = [
  { browseName: 'Temp', dataType: 'Double', value: 21.5, units: '°C', range: [0, 100], description: 'a sensor' },
  { browseName: 'Setpoint', dataType: 'Double', value: 10, units: '°C', range: [0, 50], writable: true },
  { browseName: 'Ratio', dataType: 'Float', value: 0.5, writable: true },
  { browseName: 'Steps', dataType: 'Int32', value: -3, units: 'steps', writable: true },
  { browseName: 'Word', dataType: 'UInt16', value: 1234, writable: true },
  { browseName: 'On', dataType: 'Boolean', value: false, writable: true },
  { browseName: 'Label', dataType: 'String', value: 'idle', writable: true },
  { browseName: 'Wave', dataType: 'Double', value: [0.5, 1.5, 2.5] },
  { browseName: 'Gains', dataType: 'Int32', value: [1, 2, 4, 8], writable: true },
  { browseName: 'Level', dataType: 'Double', value: 0 },
  { browseName: 'Counter', dataType: 'UInt32', value: 0, simulate: 'counter', period: 0.2 },
];

/**
 * Make a temporary folder and point `os.tmpdir()` at it (TMPDIR) for the rest of the file, so
 * the test can check that clients and simulators removed their own temporary PKI folders.
 * Returns the folder and a function listing the labrig temporary folders left in it.
 */
export async function privateTmp(t: Test): Promise<{ dir: string; leftovers: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'labrig-opcua-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  t.teardown(async () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await rm(dir, { recursive: true, force: true });
  });
  // Only labrig's own folders count: tsx (in child processes) keeps its cache there too.
  return { dir, leftovers: async () => (await readdir(dir)).filter((n) => n.startsWith('labrig-')) };
}

/** Resolve once `check()` is true; reject after `timeoutMs` (a hang guard, not a timing test). */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
