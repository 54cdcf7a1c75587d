/**
 * Shapes shared by the procedure service and its child processes: OET's procedure states and
 * presentation model (ProcedureSummary), and the messages exchanged over the child's IPC channel.
 * @module
 */
import type { AnyDocument, DocumentName } from '../../core/documents/types.js';

/** OET's ProcedureState: the lifecycle of the process running one script. */
export type ProcedureState = 'CREATING' | 'IDLE' | 'LOADING' | 'READY' | 'RUNNING' | 'STOPPED' | 'COMPLETE' | 'FAILED';

/** States after which a procedure's process is gone and nothing more happens. */
export const FINAL_STATES: ReadonlySet<ProcedureState> = new Set(['STOPPED', 'COMPLETE', 'FAILED']);

/** Positional and keyword arguments of one script function (OET's FunctionArgs). */
export interface FunctionArgs {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** What a procedure runs: a script module, a named plan or an Observation Block. */
export type ScriptKind = 'script' | 'plan' | 'ob';

/** OET's Procedure resource as labrig serves it. */
export interface ProcedureSummary {
  id: number;
  /** `/api/v1.0/procedures/<id>` on this server. */
  uri: string;
  script: { script_type: 'filesystem' | 'plan'; script_uri: string; kind: ScriptKind };
  script_args: { init: FunctionArgs; run: FunctionArgs };
  history: {
    /** `[state, unix seconds]` pairs in the order the states were reached. */
    process_states: Array<[ProcedureState, number]>;
    /** The error's stack (or how the process died) if the procedure FAILED, else null. */
    stacktrace: string | null;
  };
  state: ProcedureState;
}

/** What the parent tells the child to load. */
export interface LoadSpec {
  kind: ScriptKind;
  /** Absolute path of the checked script or OB file (script, ob). */
  path?: string;
  /** Built-in plan name (plan). */
  plan?: string;
  /** Rig file the child opens for the script. */
  rigFile?: string;
}

/** Parent → child. */
export type ToChild =
  | { op: 'load'; spec: LoadSpec; init: FunctionArgs }
  | { op: 'run'; run: FunctionArgs }
  | { op: 'stop'; abort: boolean };

/** Child → parent. */
export type FromChild =
  | { t: 'state'; state: ProcedureState }
  | { t: 'doc'; name: DocumentName; doc: AnyDocument }
  | { t: 'announce'; msg: unknown }
  | { t: 'failed'; stacktrace: string }
  | { t: 'aborted'; message: string };
