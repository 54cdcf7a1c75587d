/**
 * `labrig action <name> --rig RIG.yaml key=value...`: run one executor action on a rig's devices,
 * print each data item as one JSON line as it is produced, then the final state. Ctrl-C stops the
 * action (manualStop), a second Ctrl-C e-stops the rig. Exit codes: 0 finished, 1 not finished,
 * 2 bad command line.
 * @module
 */
import { RunEngine } from '../core/engine/index.js';
import { parseParamArgs, validateParams, type ActionDefinition } from '../core/executor/index.js';
import { toError } from '../core/errors.js';
import { loadRig } from '../rig/index.js';
import { CONSOLE_IO } from './console-io.js';
import { rigExecutor, type SeqIO } from './seq.js';

export const ACTION_USAGE = 'usage: labrig action <name> --rig RIG.yaml [key=value...] (labrig action --help lists actions)';

const STD_IO: SeqIO = CONSOLE_IO;

function describe(def: ActionDefinition): string[] {
  const params = Object.entries(def.params).map(([k, s]) => `    ${k}=${s.type}${s.required === false || s.default !== undefined ? ` (optional${s.default !== undefined ? `, default ${JSON.stringify(s.default)}` : ''})` : ''}${s.choices ? ` one of ${s.choices.join('|')}` : ''}${s.min !== undefined ? ` >= ${s.min}` : ''}${s.doc ? `  ${s.doc}` : ''}`);
  return [`  ${def.name}: ${def.doc ?? ''}`, ...params];
}

/** `labrig action ...`; resolves to the exit code. */
export async function actionCli(args: string[], io: SeqIO = STD_IO): Promise<number> {
  const listing = rigExecutor(undefined, undefined);
  const help = args.includes('--help') || args.includes('-h');
  let name: string | undefined;
  let rigFile: string | undefined;
  const kv: string[] = [];
  let params: Record<string, unknown> = {};
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--help' || a === '-h') continue;
      if (a === '--rig') {
        rigFile = args[++i];
        if (rigFile === undefined) throw new Error('--rig needs a value');
      } else if (a.startsWith('-')) throw new Error(`unknown option '${a}'`);
      else if (name === undefined) name = a;
      else if (a.includes('=')) kv.push(a);
      else throw new Error(`expected key=value, got '${a}'`);
    }
    if (help) {
      const defs = name ? [listing.definition(name)] : listing.actions;
      io.out([ACTION_USAGE, '', 'actions:', ...defs.flatMap((d) => describe(d))].join('\n'));
      return 0;
    }
    if (!name) throw new Error('missing action name');
    if (!rigFile) throw new Error('needs --rig RIG.yaml');
    // Validate before opening the rig: nothing reaches hardware with bad input.
    const def = listing.definition(name);
    params = validateParams(def.params, parseParamArgs(def.params, kv, `action '${name}'`), `action '${name}'`);
  } catch (e) {
    io.err(`labrig action: ${(e as Error).message} (${ACTION_USAGE})`);
    return 2;
  }
  try {
    const rig = await loadRig(rigFile!);
    const cleanups: Array<() => void> = [];
    try {
      const engine = new RunEngine();
      const ex = rigExecutor(rig, engine);
      ex.onData((_r, d) => io.out(JSON.stringify(d)));
      const h = ex.start(name!, params);
      let interrupts = 0;
      if (io.onInterrupt) cleanups.push(io.onInterrupt(() => {
        if (++interrupts === 1) {
          io.err('Ctrl-C: stopping the action (Ctrl-C again to e-stop the rig)');
          ex.stop(h.id);
        } else void ex.eStop();
      }));
      const rec = await h.done;
      io.out(`${rec.id} ${rec.state}${rec.errorMessage ? `: ${rec.errorCode} ${rec.errorMessage}` : ''}`);
      return rec.state === 'finished' ? 0 : 1;
    } finally {
      for (const c of cleanups) c();
      await rig.close();
    }
  } catch (e) {
    io.err(`labrig action: ${toError(e).message}`);
    return 1;
  }
}
