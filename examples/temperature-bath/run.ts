/**
 * Register the bath family and its simulator, then drive the bath over TCP and over a pty, and a
 * rig mixing it with sim:galil. Prints one line per step; exits 0 when all went well.
 */
import { fileURLToPath } from 'node:url';
import { registerFamily, openFamily } from 'labrig/drivers';
import { loadRig } from 'labrig/rig';
import { registerSimulator } from 'labrig/sim';
import { bathFamily, type TemperatureBath } from './driver/index.js';
import { bathSimulator, startBathSim } from './sim/family.js';

registerFamily(bathFamily);
registerSimulator(bathSimulator);

for (const pty of [false, true]) {
  const sim = await startBathSim({ pty, ...(pty ? {} : { tcp: '127.0.0.1:0' }), tauMs: 100 });
  const bath = await openFamily(bathFamily, sim.uri, { holdMs: 100, tolerance: 0.3 }, { name: 'bath' });
  try {
    await bath.set(30);
    const t = await bath.temperature.getValue();
    const refused = await bath.setpoint.set(500).then(() => 'accepted', (e: unknown) => (e as Error).name);
    console.log(`${pty ? 'pty' : 'tcp'}: settled at ${t.toFixed(1)} degC; setpoint 500 -> ${refused}`);
  } finally {
    await bath.close();
    await sim.close();
  }
}

const rig = await loadRig(fileURLToPath(new URL('./rig.yaml', import.meta.url)));
try {
  const bath = rig.get('bath') as unknown as TemperatureBath;
  await bath.set(25);
  const report = await rig.eStop();
  console.log(`rig: bath at ${(await bath.temperature.getValue()).toFixed(1)} degC; e-stop ${report.ok ? 'ok' : 'FAILED'}`);
} finally {
  await rig.close();
}
