/**
 * The cell parameters every potentiostat simulator takes (`sim:gamry?rct=800&cdl=1e-5`), one schema.
 * @module
 */
import type { ParamSchema } from '../../protocols/params.js';
import { checkCell, type CellParams } from './model.js';

/** Cell parameters of a `sim:` potentiostat (defaults of {@link checkCell}). */
export const CELL_PARAMS = {
  rs: { type: 'number', min: 0, units: 'ohm', doc: 'solution resistance (default 50)' },
  rct: { type: 'number', above: 0, units: 'ohm', doc: 'charge-transfer resistance (default 500)' },
  cdl: { type: 'number', above: 0, units: 'F', doc: 'double-layer capacitance (default 2e-5)' },
  warburg: { type: 'number', min: 0, doc: 'Warburg coefficient, ohm/s^0.5 (default 0: none)' },
  e0: { type: 'number', units: 'V', doc: 'formal potential of the redox couple (default 0.2)' },
  electrons: { type: 'integer', min: 1, max: 4, doc: 'electrons transferred (default 1)' },
  seed: { type: 'integer', doc: 'seed of the OCV noise (default 1)' },
} as const satisfies ParamSchema;

/** Checked cell parameters. */
export interface CellSimParams {
  rs?: number;
  rct?: number;
  cdl?: number;
  warburg?: number;
  e0?: number;
  electrons?: number;
  seed?: number;
}

/** The model parameters of checked `sim:` cell parameters. */
export function cellOf(p: CellSimParams): Parameters<typeof checkCell>[0] {
  const randles: Record<string, number> = {};
  if (p.rs !== undefined) randles['rs'] = p.rs;
  if (p.rct !== undefined) randles['rct'] = p.rct;
  if (p.cdl !== undefined) randles['cdl'] = p.cdl;
  if (p.warburg !== undefined) randles['warburgSigma'] = p.warburg;
  const redox: Record<string, number> = {};
  if (p.e0 !== undefined) redox['e0'] = p.e0;
  if (p.electrons !== undefined) redox['n'] = p.electrons;
  return { randles, redox, ...(p.seed !== undefined ? { seed: p.seed } : {}) };
}

export type { CellParams };
