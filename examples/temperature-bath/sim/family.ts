/** The bath simulator: the real bytes on TCP and/or a pty, and its descriptor for `sim:bath` and `labrig sim bath`. */
import { defineSimulator, lineResponder, serveLineSim, type LineSimTransports } from 'labrig/sim';
import { BathModel } from './model.js';

/** A running bath simulator. */
export interface BathSim {
  /** Driver URI, e.g. `bath+tcp://127.0.0.1:PORT` or `bath+serial:///tmp/.../tty`. */
  readonly uri: string;
  readonly model: BathModel;
  close(): Promise<void>;
}

/** Start a bath simulator on TCP (default) or a pty. */
export async function startBathSim(options: { tcp?: string; pty?: boolean; tauMs?: number } = {}): Promise<BathSim> {
  const model = new BathModel(options.tauMs);
  const lines = { terminators: ['\r'], onLine: (line: string) => model.onLine(line) };
  const t: LineSimTransports = await serveLineSim({
    tcp: options.tcp,
    pty: options.pty,
    what: 'bath sim',
    faults: undefined,
    onDown: () => undefined,
    accept: () => ({ respond: lineResponder(lines), close: () => undefined }),
    ptyResponder: () => lines,
  });
  const uri = t.tcp ? `bath+${t.tcp}` : `bath+serial://${t.pty!.path}`;
  return { uri, model, close: () => t.close() };
}

/** `sim:bath?tauMs=300` in rigs. */
export const bathSimulator = defineSimulator({
  name: 'bath',
  family: 'bath',
  title: 'temperature bath (guide example)',
  params: { tauMs: { type: 'integer', min: 1, max: 600_000, units: 'ms', doc: 'time constant of the bath' } },
  async start(params: { tauMs?: number }) {
    const sim = await startBathSim({ ...(params.tauMs === undefined ? {} : { tauMs: params.tauMs }) });
    return { uri: sim.uri, handle: sim, close: () => sim.close() };
  },
  usage: 'usage: labrig sim bath [--tau-ms N]',
  cli: async () => 0,
});
