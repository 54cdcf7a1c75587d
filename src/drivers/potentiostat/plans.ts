/**
 * Potentiostat plans in `labrig/plans` style: `ocv`, `ca`, `cp`, `lsv`, `cv`, `peis` (one run
 * each, data in the `primary` stream as event pages while the technique measures; EIS one event
 * per frequency) and `ocvCvPeis`, the sequence OCV → CV → PEIS (three runs). They take any
 * {@link PotentiostatChannel}: the same plan runs on a BioLogic, a Gamry or a simulator. A
 * technique is checked (ranges, vendor support) when the plan is built, before anything is sent. A
 * failure mid-technique (device error, connection lost) collects what was measured, closes the
 * run with `fail` and the reason, and re-throws.
 * @module
 */
import { isCanceled } from '../../core/errors.js';
import { collect, complete, kickoff, prepare, sleep, wait, shortUid, type PlanGen } from '../../core/plans/stubs/index.js';
import type { PotentiostatChannel } from './channel.js';
import type { CaTechnique, CpTechnique, CvTechnique, LsvTechnique, OcvTechnique, PeisTechnique, Technique } from './techniques.js';

/** Options of a potentiostat plan. */
export interface PstatPlanOptions {
  /** Extra run metadata. */
  md?: Record<string, unknown>;
  /** Seconds between two collects while the technique runs (default 0.05). */
  pollS?: number;
}

type Params<T extends Technique> = Omit<T, 'kind'>;

/** Run technique `t` on `pstat` in one run; returns the run uid. */
export function technique(pstat: PotentiostatChannel, t: Technique, options: PstatPlanOptions = {}): PlanGen<string> {
  const checked = pstat.check(t);
  const pollS = options.pollS ?? 0.05;
  const md = {
    plan_name: checked.kind,
    plan_args: { pstat: pstat.name, technique: { ...checked } },
    technique: checked.kind,
    potentiostat: pstat.model,
    detectors: [pstat.name],
    hints: { dimensions: [[[checked.kind === 'peis' ? `${pstat.name}-freq` : `${pstat.name}-t`], 'primary']] },
    ...options.md,
  };
  return body(pstat, checked, md, pollS);
}

function* body(pstat: PotentiostatChannel, t: Technique, md: Record<string, unknown>, pollS: number): PlanGen<string> {
  const g = shortUid('pstat');
  yield* prepare(pstat, t, { group: `${g}-prep` });
  yield* wait(`${g}-prep`);
  const uid = (yield { command: 'open_run', md }) as string;
  try {
    yield* kickoff(pstat, { group: `${g}-kick` });
    yield* wait(`${g}-kick`);
    const st = yield* complete(pstat, { group: `${g}-done` });
    while (st !== undefined && !st.done) {
      yield* collect(pstat, { stream: true, name: 'primary' });
      yield* sleep(pollS);
    }
    yield* collect(pstat, { stream: true, name: 'primary' });
    yield* wait(`${g}-done`);
  } catch (err) {
    if (isCanceled(err)) throw err;
    yield* collect(pstat, { stream: true, name: 'primary' });
    const e = err as { message?: unknown };
    yield { command: 'close_run', exitStatus: 'fail', reason: typeof e?.message === 'string' ? e.message : String(err) };
    throw err;
  }
  yield { command: 'close_run' };
  return uid;
}

/** Open-circuit potential for `durationS`, a point every `recordEveryS`. */
export const ocv = (pstat: PotentiostatChannel, p: Params<OcvTechnique>, o?: PstatPlanOptions): PlanGen<string> => technique(pstat, { kind: 'ocv', ...p }, o);
/** Chronoamperometry at `potentialV`. */
export const ca = (pstat: PotentiostatChannel, p: Params<CaTechnique>, o?: PstatPlanOptions): PlanGen<string> => technique(pstat, { kind: 'ca', ...p }, o);
/** Chronopotentiometry at `currentA`. */
export const cp = (pstat: PotentiostatChannel, p: Params<CpTechnique>, o?: PstatPlanOptions): PlanGen<string> => technique(pstat, { kind: 'cp', ...p }, o);
/** Linear sweep voltammetry. */
export const lsv = (pstat: PotentiostatChannel, p: Params<LsvTechnique>, o?: PstatPlanOptions): PlanGen<string> => technique(pstat, { kind: 'lsv', ...p }, o);
/** Cyclic voltammetry. */
export const cv = (pstat: PotentiostatChannel, p: Params<CvTechnique>, o?: PstatPlanOptions): PlanGen<string> => technique(pstat, { kind: 'cv', ...p }, o);
/** Potentiostatic EIS, one event per frequency. */
export const peis = (pstat: PotentiostatChannel, p: Params<PeisTechnique>, o?: PstatPlanOptions): PlanGen<string> => technique(pstat, { kind: 'peis', ...p }, o);

/** OCV → CV → PEIS, three runs (all three techniques are checked before the first starts); returns their uids. */
export function ocvCvPeis(
  pstat: PotentiostatChannel,
  p: { ocv: Params<OcvTechnique>; cv: Params<CvTechnique>; peis: Params<PeisTechnique> },
  o?: PstatPlanOptions,
): PlanGen<string[]> {
  const plans = [ocv(pstat, p.ocv, o), cv(pstat, p.cv, o), peis(pstat, p.peis, o)];
  return (function* () {
    const uids: string[] = [];
    for (const plan of plans) uids.push(yield* plan);
    return uids;
  })();
}
