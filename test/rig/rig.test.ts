/**
 * A rig of `sim:` devices: the simulators start in-process, the real drivers connect to them
 * over TCP loopback and ptys, the devices read and move, the rig-wide e-stop stops everything
 * (checked on the simulators' own models), and closing leaves nothing behind.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { CanceledError, InvalidInputError, NotConnectedError } from '../../src/core/errors.js';
import type { AlicatFlowController } from '../../src/drivers/alicat/index.js';
import type { GalilController } from '../../src/drivers/galil/index.js';
import type { LegatoPump } from '../../src/drivers/legato/index.js';
import { formatEStop, loadRig } from '../../src/rig/index.js';
import type { AlicatSim } from '../../src/sim/alicat/index.js';
import type { GalilSim } from '../../src/sim/galil/index.js';
import type { LegatoSim } from '../../src/sim/legato/index.js';
import { withLeakGuard } from '../../src/testing/index.js';

const RIG = {
  name: 'test-bench',
  devices: {
    stage: {
      uri: 'sim:galil',
      enableOnConnect: true,
      pollMs: 5,
      axes: { A: { countsPerUnit: 1000, units: 'mm', limits: [-50, 50], speed: 5 }, B: { countsPerUnit: 1000, units: 'mm', speed: 5 } },
    },
    mfc: { uri: 'sim:alicat?timeConstantMs=20', fullScale: 100 },
    pump: { uri: 'sim:legato?link=tcp' },
  },
};

t.test('a rig of simulators opens, reads, moves, e-stops everything and closes cleanly', async (t) => {
  let ptyPath: string | undefined;
  await withLeakGuard(async () => {
    const rig = await loadRig(RIG);
    try {
      ptyPath = (rig.member('mfc').sim!.handle as AlicatSim).ptyPath;
      t.ok(ptyPath && existsSync(ptyPath), 'the Alicat simulator serves a pty');
      t.same(rig.names, ['stage', 'mfc', 'pump']);
      t.match(rig.member('stage').uri, /^galil\+tcp:\/\/127\.0\.0\.1:\d+$/, 'Galil over TCP loopback');
      t.match(rig.member('mfc').uri, /^alicat\+serial:\/\/\/.+\?unit=A$/, 'Alicat on a pty');
      t.match(rig.member('pump').uri, /^legato\+tcp:\/\/127\.0\.0\.1:\d+\?address=0$/, 'Legato over TCP (link=tcp)');
      t.throws(() => rig.get('laser'), InvalidInputError);
      const stage = rig.get('stage') as unknown as GalilController;
      const mfc = rig.get('mfc') as unknown as AlicatFlowController;
      const pump = rig.get('pump') as unknown as LegatoPump;
      const gsim = rig.member('stage').sim!.handle as GalilSim;
      const asim = rig.member('mfc').sim!.handle as AlicatSim;
      const lsim = rig.member('pump').sim!.handle as LegatoSim;

      const reading = await stage.read();
      t.same(Object.keys(reading).sort(), ['stage-A', 'stage-B'], 'the stage reads both axes under the rig name');
      await stage.axis('A').set(0.5);
      t.equal(gsim.model.axes[0]!.phys, 500, 'the simulator axis moved to 500 counts');
      t.equal(await stage.axis('A').readback.getValue(false), 0.5);
      await mfc.set(20);
      t.ok(Math.abs(asim.model.unit('A').massFlow - 20) < 1, 'the simulated flow settled near the setpoint');

      // Everything in motion: two long axis moves, a flow, a dispense.
      const moves = [stage.axis('A').set(40), stage.axis('B').set(-40)];
      const dispense = pump.dispense(500, 1000);
      // Wait (bounded) until the simulators see everything in motion; under load the commands
      // take a moment to arrive, and the moves are long enough not to end meanwhile.
      const inMotion = (): boolean => {
        const now = gsim.model.now();
        return gsim.model.axes[0]!.moving(now) && gsim.model.axes[1]!.moving(now) && [...lsim.model.pumps.values()][0]!.running;
      };
      for (let i = 0; i < 300 && !inMotion(); i++) await new Promise((r) => setTimeout(r, 10));
      const now = gsim.model.now();
      t.ok(gsim.model.axes[0]!.moving(now) && gsim.model.axes[1]!.moving(now), 'both axes are moving');
      t.ok([...lsim.model.pumps.values()][0]!.running, 'the pump is running');

      const report = await rig.eStop();
      t.comment(formatEStop(report).join('\n'));
      t.ok(report.ok, 'every device confirmed it stopped');
      t.same(Object.keys(report.results).sort(), ['mfc', 'pump', 'stage']);
      t.ok(report.elapsedMs >= 0 && report.elapsedMs < 10_000, 'within the hang guard');
      t.ok(gsim.model.allStopped(), 'every simulated axis is at rest');
      t.ok(gsim.model.axes.every((a) => a.motorOff), 'every simulated axis is powered off');
      t.equal(asim.model.unit('A').valve, 'hold', 'the MFC valve is held');
      t.notOk([...lsim.model.pumps.values()][0]!.running, 'the pump stopped');
      for (const m of moves) t.type(await m.then(() => undefined, (e: unknown) => e), CanceledError, 'running moves failed with CanceledError');
      t.type(await dispense.then(() => undefined, (e: unknown) => e), CanceledError, 'the dispense failed with CanceledError');
    } finally {
      await rig.close();
    }
    await rig.close(); // idempotent
  }, { graceMs: 1000 });
  t.notOk(existsSync(ptyPath!), 'the pty is gone after close (the leak guard does not watch TTY handles)');
});

t.test('one device failing its e-stop does not hold up the others', async (t) => {
  await withLeakGuard(async () => {
    const rig = await loadRig({ stage: { uri: 'sim:galil', axes: { A: {} } }, pump: 'sim:legato?link=tcp' }, { eStopTimeoutMs: 300 });
    try {
      const lsim = rig.member('pump').sim!.handle as LegatoSim;
      await lsim.close(); // the pump's line goes dead
      const report = await rig.eStop();
      t.comment(formatEStop(report).join('\n'));
      t.notOk(report.ok);
      t.ok(report.results['stage']!.ok, 'the stage still stopped');
      t.notOk(report.results['pump']!.ok, 'the pump is reported');
      t.ok(report.results['pump']!.error instanceof Error, 'with its error');
      t.ok(report.results['pump']!.elapsedMs < 5000, 'bounded by the timeout');
    } finally {
      await rig.close();
    }
  }, { graceMs: 1000 });
});

t.test('a device that cannot be opened fails the load and closes what was opened', async (t) => {
  await withLeakGuard(async () => {
    const err = await loadRig({ good: 'sim:galil', gone: { uri: 'sim:galil', axes: { A: {} } }, dead: 'legato+tcp://127.0.0.1:1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, NotConnectedError);
    t.same([...(err as NotConnectedError).errors.keys()], ['dead'], 'the failed device is named');
  }, { graceMs: 1000 });
});

t.test('only opens the named devices', async (t) => {
  await withLeakGuard(async () => {
    const rig = await loadRig({ stage: 'sim:galil?axes=2', pump: 'sim:legato' }, { only: ['stage'] });
    try {
      t.same(rig.names, ['stage']);
      t.same([...(rig.get('stage') as unknown as GalilController).axes.keys()], ['A', 'B'], 'without configured axes, each controller axis opens by its letter');
    } finally {
      await rig.close();
    }
  }, { graceMs: 1000 });
});

t.test('a read-only load changes nothing on the device: no servo enable, no speeds applied (labrig read)', async (t) => {
  const { startGalilSim } = await import('../../src/sim/galil/index.js');
  const { readCli } = await import('../../src/cli/read-set.js');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const sim = await startGalilSim({ tcp: '127.0.0.1:0', axes: 2 });
  t.teardown(() => sim.close());
  const speedBefore = sim.model.axes[0]!.sp;
  const rigDef = { stage: { uri: sim.uri, enableOnConnect: true, axes: { A: { countsPerUnit: 1000, speed: 7 } } } };
  await withLeakGuard(async () => {
    const rig = await loadRig(rigDef, { readOnly: true });
    await rig.close();
  }, { graceMs: 1000 });
  t.ok(sim.model.axes[0]!.motorOff, 'the servo stayed off');
  t.equal(sim.model.axes[0]!.sp, speedBefore, 'the speed was not applied');
  const dir = mkdtempSync(join(tmpdir(), 'labrig-ro-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rig.json');
  writeFileSync(file, JSON.stringify(rigDef));
  const lines: string[] = [];
  t.equal(await readCli(['--rig', file, 'stage', 'A.motorOn'], { out: (l) => void lines.push(l), err: () => undefined }), 0);
  t.same(lines, ['A.motorOn false'], 'labrig read --rig reads the motor off and leaves it off');
  t.ok(sim.model.axes[0]!.motorOff);
  const rig = await loadRig(rigDef);
  t.teardown(() => rig.close());
  t.notOk(sim.model.axes[0]!.motorOff, 'a normal load does enable (enableOnConnect)');
  t.equal(sim.model.axes[0]!.sp, 7000, 'and applies the speed');
});
