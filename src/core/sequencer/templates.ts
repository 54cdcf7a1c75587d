/**
 * Built-in templates over the built-in executor actions, for Observation Blocks on a rig:
 * home/move an axis, set a flow, dispense, measure, run a grid scan, and an e-stop-safe shutdown.
 * @module
 */
import { defineTemplate, executorNode, parallel, sequence, type Template } from './nodes.js';

const device = { type: 'string', doc: 'device name in the rig' } as const;
const axis = { type: 'string', required: false, doc: 'axis letter (Galil: A, B, ...)' } as const;

const pick = (p: Record<string, unknown>, keys: string[]): Record<string, unknown> => Object.fromEntries(keys.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));

/** The built-in templates, by name. */
export function builtinTemplates(): Map<string, Template> {
  const list: Template[] = [
    defineTemplate({
      name: 'home_axis', doc: 'home (reference) an axis', params: { device, axis, mode: { type: 'string', default: 'HM', choices: ['HM', 'FE', 'FI'] } },
      build: (p, id) => executorNode(`${id}.home`, 'axis.home', pick(p, ['device', 'axis', 'mode'])),
    }),
    defineTemplate({
      name: 'move_axis', doc: 'move an axis to a position', params: { device, axis, position: { type: 'number' } },
      build: (p, id) => executorNode(`${id}.move`, 'axis.move', pick(p, ['device', 'axis', 'position'])),
    }),
    defineTemplate({
      name: 'set_flow', doc: 'set a flow controller and wait for the flow', params: { device, setpoint: { type: 'number', min: 0 } },
      build: (p, id) => executorNode(`${id}.set`, 'flow.set', pick(p, ['device', 'setpoint'])),
    }),
    defineTemplate({
      name: 'dispense', doc: 'dispense a volume with a syringe pump', params: { device, volume: { type: 'number' }, rate: { type: 'number', required: false, min: 0 } },
      build: (p, id) => executorNode(`${id}.dispense`, 'pump.dispense', pick(p, ['device', 'volume', 'rate'])),
    }),
    defineTemplate({
      name: 'measure', doc: 'read devices count times each, side by side', params: { devices: { type: 'array' }, count: { type: 'integer', default: 1, min: 1 }, intervalMs: { type: 'integer', default: 0, min: 0 } },
      build: (p, id) => parallel(`${id}.read`, (p['devices'] as string[]).map((d, i) => executorNode(`${id}.read${i + 1}`, 'signals.read', { device: d, count: p['count'], intervalMs: p['intervalMs'] }))),
    }),
    defineTemplate({
      name: 'grid_scan', doc: 'run a grid scan plan: detectors over axes [{device, axis, start, stop, num}]',
      params: { detectors: { type: 'array' }, axes: { type: 'array' }, snake: { type: 'boolean', default: false } },
      build: (p, id) => executorNode(`${id}.scan`, 'plan.run', { plan: 'grid_scan', args: pick(p, ['detectors', 'axes', 'snake']) }),
    }),
    defineTemplate({
      name: 'safe_shutdown', doc: 'flows to zero, then stop every listed device; each step runs even if one fails',
      params: { flows: { type: 'array', default: [] }, stop: { type: 'array', default: [] } },
      build: (p, id) => sequence(`${id}.steps`, [
        ...(p['flows'] as string[]).map((d, i) => executorNode(`${id}.zero${i + 1}`, 'flow.set', { device: d, setpoint: 0 }, { onError: 'continue' })),
        ...(p['stop'] as string[]).map((d, i) => executorNode(`${id}.stop${i + 1}`, 'device.stop', { device: d }, { onError: 'continue' })),
      ]),
    }),
  ];
  return new Map(list.map((t) => [t.name, t]));
}
