/**
 * `labrig seq` and `labrig action` on rigs of wire simulators: the example Observation Block runs
 * end to end (checked on the simulators' own models), Ctrl-C pauses and resumes, a second Ctrl-C
 * aborts and e-stops, usage errors exit 2 with one line, validation errors name the template,
 * parameter and rule, and the DOT drawing is well formed (SVG when graphviz is installed).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunEngine } from '../../src/core/engine/index.js';
import { SequenceRunner } from '../../src/core/sequencer/index.js';
import { actionCli } from '../../src/cli/action.js';
import { loadObservationBlock, rigExecutor, seqCli, type SeqIO } from '../../src/cli/seq.js';
import { loadRig } from '../../src/rig/index.js';
import type { AlicatSim } from '../../src/sim/alicat/index.js';
import type { GalilSim } from '../../src/sim/galil/index.js';
import type { LegatoSim } from '../../src/sim/legato/index.js';
import { withLeakGuard } from '../../src/testing/index.js';

const OB = 'examples/ob-demo.yaml';
const RIG = 'examples/rig-sim.yaml';

function recorder(): SeqIO & { lines: string[]; errs: string[]; interrupt(): void; line(): void } {
  const lines: string[] = [];
  const errs: string[] = [];
  let onInt: (() => void) | undefined;
  let onLine: (() => void) | undefined;
  return {
    lines, errs,
    out: (l) => lines.push(l),
    err: (l) => errs.push(l),
    onInterrupt: (h) => { onInt = h; return () => { onInt = undefined; }; },
    onLine: (h) => { onLine = h; return () => { onLine = undefined; }; },
    interrupt: () => onInt?.(),
    line: () => onLine?.(),
  };
}

async function until(pred: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-seq-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('the example OB runs on the simulators: homed, flow set, scan + dispense, 3 measurements, safe shutdown', async (t) => {
  await withLeakGuard(async () => {
    const rig = await loadRig(RIG);
    try {
      const gsim = rig.member('stage').sim!.handle as GalilSim;
      const asim = rig.member('mfc').sim!.handle as AlicatSim;
      const lsim = rig.member('pump').sim!.handle as LegatoSim;
      gsim.model.axes[0]!.phys = 2500; // start away from home
      const engine = new RunEngine();
      const docs: string[] = [];
      engine.subscribe((n) => docs.push(n));
      const ex = rigExecutor(rig, engine);
      const flows: number[] = [];
      ex.onData((rec, d) => { if (rec.name === 'flow.set') flows.push(d['mfc-massFlow'] as number ?? NaN); });
      const ob = loadObservationBlock(OB);
      const runner = new SequenceRunner(ob.root, { executor: ex, engine });
      let reads = 0;
      ex.onState((r) => { if (r.name === 'signals.read' && r.state === 'finished') reads++; });
      const res = await runner.run();
      t.same(res.failures, []);
      t.equal(res.state, 'finished');
      t.equal(docs.filter((d) => d === 'event').length, 6, 'the 3 x 2 grid scan produced 6 events');
      t.equal(docs.at(-1), 'stop');
      t.equal(reads, 3 * 2, '3 loop iterations x 2 devices read');
      t.ok([...lsim.model.pumps.values()][0]!.pumped.infuse.ul > 0, 'the pump dispensed');
      t.equal(asim.model.unit('A').setpoint, 0, 'the shutdown set the flow to zero');
      t.ok(gsim.model.allStopped(), 'the stage is at rest');
      t.comment(`flow after set_flow: ${flows.join(', ')}`);
    } finally {
      await rig.close();
    }
  }, { graceMs: 1000 });
});

t.test('labrig seq run: live states, Ctrl-C pauses, Enter resumes; exit 0', async (t) => {
  const io = recorder();
  const done = seqCli(['run', OB, '--rig', RIG], io);
  await until(() => io.lines.includes('home.home running'));
  io.interrupt();
  await until(() => io.errs.some((l) => l.startsWith('paused')));
  const at = io.lines.length;
  await new Promise((r) => setTimeout(r, 50));
  t.equal(io.lines.slice(at).filter((l) => / running/.test(l)).length, 0, 'no node started while paused');
  io.line();
  t.equal(await done, 0);
  t.equal(io.lines.at(-1), "sequence 'demo-ob' finished");
  t.ok(io.lines.includes('measurements.1_measure running [2]'), 'loop iterations are shown with their index');
});

t.test('labrig seq run: a second Ctrl-C aborts and e-stops the rig; exit 1', async (t) => {
  const io = recorder();
  const done = seqCli(['run', OB, '--rig', RIG], io);
  await until(() => io.lines.includes('flow.set running'));
  io.interrupt();
  io.interrupt();
  t.equal(await done, 1);
  t.equal(io.lines.at(-1), "sequence 'demo-ob' aborted");
  t.ok(io.errs.some((l) => /e-stop/i.test(l)), 'the e-stop report is printed');
  t.notOk(io.lines.includes('shutdown running'), 'nothing ran after the abort');
});

t.test('usage errors exit 2 with one line; validation errors name template, parameter and rule', async (t) => {
  for (const args of [[], ['bogus', OB], ['run', OB], ['draw'], ['check', OB, '--svg'], ['run', OB, '--rig']]) {
    const io = recorder();
    t.equal(await seqCli(args, io), 2, `seq ${args.join(' ')}`);
    t.equal(io.errs.length, 1);
    t.match(io.errs[0], /^labrig seq: .*usage: labrig seq/);
  }
  for (const args of [[], ['axis.move'], ['axis.move', '--rig', RIG, 'position=abc'], ['axis.move', '--rig', RIG, 'device=stage', 'position=1', 'speed=3'], ['warp', '--rig', RIG]]) {
    const io = recorder();
    t.equal(await actionCli(args, io), 2, `action ${args.join(' ')}`);
    t.equal(io.errs.length, 1);
    t.match(io.errs[0], /^labrig action: .*usage: labrig action/);
  }
  const io = recorder();
  await actionCli(['axis.move', '--rig', RIG, 'device=stage', 'position=abc'], io);
  t.match(io.errs[0], /action 'axis.move' parameter 'position': rule type/);

  const dir = tempDir(t);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: bad\ntemplates:\n  - template: set_flow\n    params: { device: mfc, setpoint: -3 }\n');
  const io2 = recorder();
  t.equal(await seqCli(['check', bad], io2), 1);
  t.match(io2.errs[0], /templates\[0\]: template 'set_flow' parameter 'setpoint': rule min: must be >= 0/);
  const io3 = recorder();
  t.equal(await seqCli(['check', OB], io3), 0);
  t.match(io3.lines[0], /observation block 'demo-ob' ok: 21 nodes/);
  const io4 = recorder();
  t.equal(await seqCli(['--help'], io4), 0);
  t.match(io4.lines[0], /home_axis/);
  const io5 = recorder();
  t.equal(await actionCli(['--help'], io5), 0);
  for (const a of ['axis.move', 'axis.home', 'flow.set', 'pump.dispense', 'signals.read', 'plan.run', 'device.stop']) t.match(io5.lines[0], new RegExp(`  ${a.replace('.', '\\.')}: `));
});

t.test('labrig action streams data lines and ends with the state', async (t) => {
  const io = recorder();
  t.equal(await actionCli(['signals.read', '--rig', RIG, 'device=mfc', 'count=2', 'intervalMs=5'], io), 0);
  t.equal(io.lines.length, 3);
  for (const l of io.lines.slice(0, 2)) t.type(JSON.parse(l)['mfc-massFlow'], 'number');
  t.match(io.lines[2], /^signals\.read-1 finished$/);
  const io2 = recorder();
  t.equal(await actionCli(['axis.home', '--rig', RIG, 'device=mfc'], io2), 1, 'an action the device cannot do fails');
  t.match(io2.lines.at(-1), /errored: UNSUPPORTED/);
});

t.test('labrig seq draw prints DOT (and SVG when graphviz is installed)', async (t) => {
  const io = recorder();
  t.equal(await seqCli(['draw', OB], io), 0);
  const dot = io.lines.join('\n');
  t.match(dot, /^digraph "demo-ob" \{/);
  t.equal((dot.match(/ -> /g) ?? []).length > 20, true);
  const hasDot = spawnSync('dot', ['-V']).status === 0;
  const io2 = recorder();
  const rc = await seqCli(['draw', OB, '--svg'], io2);
  if (hasDot) {
    t.equal(rc, 0);
    t.match(io2.lines[0], /<svg/);
  } else {
    t.equal(rc, 1);
    t.match(io2.errs[0], /graphviz's dot is not installed/);
  }
});
