/**
 * `labrig read <uri|device> [signal...]` and `labrig set <uri|device> <signal> <value>`.
 *
 * The device is a driver URI (`galil+tcp://127.0.0.1:23`, `alicat+serial:///dev/ttyUSB0?unit=A`,
 * `legato+serial:///dev/ttyUSB1?address=0`), a `sim:<family>` URI (a simulator started for the
 * command), or with `--rig FILE` a device name of the rig. Signals are paths in the device tree
 * (see `src/rig/paths.ts`): `A`, `A.velocity`, `io.outputs.1`, `setpoint`, `infuseRate`, or
 * data-key names (`stage-A-velocity`); `.` is the device itself.
 *
 * `read` prints one line per signal, `path value units` (every readable signal when none is
 * named), or with `--json` one line of event-model readings keyed by data key. `set` writes a
 * signal or moves a Movable (a Galil axis, `.`, or the family's alias: `setpoint` for an Alicat
 * controller, `dispense` for a pump) and waits until the move or setpoint completed, with a
 * progress bar on a terminal; then it prints the new value. Numbers are parsed strictly. Errors
 * print as one line; exit codes: 0 done, 1 failed, 2 bad command line.
 * @module
 */
import { isMovable, type DataKey, type Readings } from '../core/protocols.js';
import { SignalR } from '../core/signal/signal.js';
import { SignalRW, SignalW, SignalX } from '../core/signal/writable.js';
import { CanceledError, InvalidInputError } from '../core/errors.js';
import type { Device } from '../core/device/device.js';
import type { Status } from '../core/status.js';
import { eStopMembers, formatEStop, installSignalHandlers, pathsByName, readableSignals, resolvePath, type RigMember, type SignalHandlerOptions, type SignalHandlers } from '../rig/index.js';
import { jsonReplacer } from '../writers/jsonl.js';
import { ProgressPrinter } from './progress.js';
import { checkTarget } from './target.js';
import { oneLine, UsageError, wantsHelp } from './usage.js';

export { oneLine } from './usage.js';

/** Where a command's output goes (tests pass their own). */
export interface CliIO {
  /** One line of results (default: stdout). */
  out(line: string): void;
  /** One line of errors (default: stderr). */
  err(line: string): void;
  /** Stream of the progress bar; drawn only when it is a TTY. Default process.stderr. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * Stop what the command started on SIGINT/SIGTERM/SIGHUP (see installSignalHandlers): true, or
   * its options (tests pass `exit`). Default: on for the standard output, off when io is given.
   */
  signals?: boolean | Pick<SignalHandlerOptions, 'exit' | 'stepTimeoutMs' | 'signals' | 'epipe'>;
}

const STD_IO: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l), progress: process.stderr, signals: true };

const READ_USAGE = 'usage: labrig read [--rig FILE] [--json] <uri|device> [signal...]';
const SET_USAGE = 'usage: labrig set [--rig FILE] [--timeout-ms MS] <uri|device> <signal> [value]';
const SET_HELP = `${SET_USAGE}
  write a signal, or move (a Galil axis, \`.\`, \`setpoint\` of an MFC, \`dispense\` of a pump) and wait
  for it; a command path (abortAll, allMotorsOff, ...) is executed and takes no value.
  Ctrl-C/SIGTERM/SIGHUP e-stop the device and exit 130/143/129. Exit 0 done, 1 failed, 2 bad command line.`;
const READ_HELP = `${READ_USAGE}
  print signals of a device (every readable one when none is named); never changes the device.
  Exit 0 done, 1 a read failed, 2 bad command line.`;

/** Install the signal handlers `io` asks for; undefined when it asks for none. */
function handlers(io: CliIO, options: SignalHandlerOptions): SignalHandlers | undefined {
  if (!io.signals) return undefined;
  return installSignalHandlers({ log: (l) => io.err(l), ...options, ...(io.signals === true ? {} : io.signals) });
}

interface Parsed {
  rig: string | undefined;
  json: boolean;
  timeoutMs: number | undefined;
  positionals: string[];
}

/** Split flags from positionals; a token like `-5` or `-.5e3` is a value, not a flag. */
function parse(args: string[], usage: string, allowed: readonly string[]): Parsed {
  const help = `see ${/labrig \w+/.exec(usage)?.[0] ?? 'labrig'} --help`;
  const p: Parsed = { rig: undefined, json: false, timeoutMs: undefined, positionals: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      p.positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || /^-(\d|\.\d)/.test(a)) {
      p.positionals.push(a);
      continue;
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (!allowed.includes(flag)) throw new UsageError(`unknown option ${flag}; ${help}`);
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value; ${help}`);
      return v;
    };
    if (flag === '--json') p.json = true;
    else if (flag === '--rig') p.rig = value();
    else if (flag === '--timeout-ms') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--timeout-ms must be a whole number of ms >= 1 (got ${v}); ${help}`);
      p.timeoutMs = Number(v);
    }
  }
  return p;
}

/**
 * Resolve `path` in the device tree, or else through the family's own address paths (a Modbus
 * register `hr/0:float32`, an OPC UA NodeId); the tree's error when neither knows it.
 */
async function resolveNode(member: RigMember, path: string): Promise<Device> {
  try {
    return resolvePath(member.device, path).node;
  } catch (e) {
    const byAddress = await member.entry.family.resolvePath?.(member.device, path);
    if (byAddress) return byAddress;
    throw e;
  }
}

function formatValue(value: unknown, key: DataKey | undefined): string {
  if (typeof value === 'number') {
    const p = key?.precision;
    return typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 20 && Number.isFinite(value) ? value.toFixed(p) : String(value);
  }
  if (typeof value === 'string') return value === '' || /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return JSON.stringify(value, jsonReplacer);
}

/** Read `node` (a signal uncached, or a device's read()) with its data keys. */
async function readNode(node: Device): Promise<{ readings: Readings; keys: Record<string, DataKey> }> {
  if (node instanceof SignalR) {
    const [readings, keys] = await Promise.all([node.read(false), node.describe()]);
    return { readings, keys };
  }
  const r = node as unknown as { read?: () => Promise<Readings> | Readings; describe?: () => Promise<Record<string, DataKey>> | Record<string, DataKey> };
  if (typeof r.read !== 'function' || typeof r.describe !== 'function') throw new InvalidInputError({ what: `${node.name} read`, value: node.name, reason: 'is not readable' });
  const [readings, keys] = await Promise.all([r.read(), r.describe()]);
  return { readings, keys };
}

function printReadings(io: CliIO, readings: Readings, keys: Record<string, DataKey>, labels: Map<string, string>, fallback?: string): void {
  const names = Object.keys(readings);
  for (const k of names) {
    const label = names.length === 1 && fallback !== undefined ? fallback : (labels.get(k) ?? k);
    const units = keys[k]?.units;
    io.out(`${label} ${formatValue(readings[k]!.value, keys[k])}${units ? ` ${units}` : ''}`);
  }
}

/** `labrig read` (see the module notes); resolves with the exit code. */
export async function readCli(args: string[], io: CliIO = STD_IO): Promise<number> {
  if (wantsHelp(args)) {
    io.out(READ_HELP);
    return 0;
  }
  let p: Parsed;
  let checked: ReturnType<typeof checkTarget>;
  try {
    p = parse(args, READ_USAGE, ['--rig', '--json']);
    if (p.positionals.length < 1) throw new UsageError(READ_USAGE);
    checked = checkTarget([p.positionals[0]!], p.rig);
  } catch (e) {
    io.err(e instanceof UsageError ? (e.message.startsWith('usage:') ? e.message : `labrig read: ${e.message}`) : `labrig read: ${oneLine(e)}`);
    return 2;
  }
  const [target, ...signals] = p.positionals as [string, ...string[]];
  let opened: Awaited<ReturnType<typeof checked.open>> | undefined;
  // read changes nothing, so a signal only has to close what it opened (simulators, temp dirs).
  const closing = { close: (): Promise<void> => opened?.close() ?? Promise.resolve() };
  const handled = handlers(io, { cleanup: [() => closing.close()] });
  let failures = 0;
  try {
    opened = await checked.open(true);
    const member = opened.members[0]!;
    const device = member.device;
    const labels = pathsByName(device);
    const json: Readings = {};
    const items: Array<{ label: string | undefined; node: Device }> = [];
    if (signals.length > 0) for (const s of signals) items.push({ label: s, node: await resolveNode(member, s) });
    else items.push(...readableSignals(device).map((s) => ({ label: undefined, node: s.signal })));
    if (items.length === 0) {
      const ex = member.entry.family.pathExample;
      const hint = ex ? ` (name them by address, e.g. ${ex}, or declare them in the options)` : '';
      throw new InvalidInputError({ what: `${member.name} signals`, value: target, reason: `the device has no readable signals${hint}` });
    }
    for (const item of items) {
      try {
        const { readings, keys } = await readNode(item.node);
        if (p.json) Object.assign(json, readings);
        else printReadings(io, readings, keys, labels, item.label);
      } catch (e) {
        failures++;
        io.err(`labrig read: ${item.label ?? labels.get(item.node.name) ?? item.node.name}: ${oneLine(e)}`);
      }
    }
    if (p.json) io.out(JSON.stringify(json, jsonReplacer));
  } catch (e) {
    io.err(`labrig read: ${oneLine(e)}`);
    failures++;
  } finally {
    if (handled?.shutdown) await handled.shutdown;
    handled?.();
    await opened?.close().catch((e: unknown) => io.err(`labrig read: closing: ${oneLine(e)}`));
  }
  return failures > 0 ? 1 : 0;
}

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parse `text` strictly as a value of data key `key`'s dtype (InvalidInputError naming `what`). */
export function parseValue(text: string, key: Pick<DataKey, 'dtype'> & { choices?: string[] }, what: string): unknown {
  switch (key.dtype) {
    case 'number':
    case 'integer': {
      if (!NUMBER_RE.test(text)) throw new InvalidInputError({ what, value: text, reason: 'expected a number such as 12.5, -3 or 1e-3' });
      const n = Number(text);
      if (!Number.isFinite(n)) throw new InvalidInputError({ what, value: text, reason: 'is not a finite number' });
      if (key.dtype === 'integer' && !Number.isInteger(n)) throw new InvalidInputError({ what, value: text, reason: 'expected a whole number' });
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(t)) return true;
      if (['false', '0', 'off', 'no'].includes(t)) return false;
      throw new InvalidInputError({ what, value: text, reason: 'expected true or false (1/0, on/off)' });
    }
    case 'string':
      if (key.choices && key.choices.length > 0 && !key.choices.includes(text)) throw new InvalidInputError({ what, value: text, reason: `expected one of ${key.choices.join(', ')}` });
      return text;
    default:
      throw new InvalidInputError({ what, value: text, reason: `values of type ${key.dtype} cannot be set from the command line` });
  }
}

/** Start the write or move `path = text` on `member`'s device; returns its Status and what to read afterwards. */
async function startSet(member: RigMember, path: string, text: string | undefined, timeoutMs: number | undefined): Promise<{ status: Status<unknown>; node: Device; value: unknown }> {
  const device = member.device;
  const aliases = member.entry.family.moveAliases ?? [];
  const node = aliases.includes(path) ? device : await resolveNode(member, path);
  const opts = timeoutMs === undefined ? {} : { timeoutMs };
  // A command path (abortAll, allMotorsOff, ...): execute it; it takes no value.
  if (node instanceof SignalX) {
    if (text !== undefined) throw new InvalidInputError({ what: `${node.name}`, value: text, reason: `is a command and takes no value (labrig set URI ${path})` });
    return { status: node.trigger(opts), node, value: undefined };
  }
  if (text === undefined) throw new InvalidInputError({ what: `${node.name || member.name}`, value: path, reason: 'needs a value (labrig set URI PATH VALUE)' });
  if (node instanceof SignalRW || node instanceof SignalW) {
    const key = await (node as SignalW<unknown>).backend.getDatakey(node.source);
    const value = parseValue(text, key, `${node.name}`);
    return { status: (node as SignalW<unknown>).set(value, opts) as Status<unknown>, node, value };
  }
  if (node instanceof SignalR) throw new InvalidInputError({ what: `${node.name}`, value: path, reason: 'is read-only' });
  if (!isMovable(node)) throw new InvalidInputError({ what: `${node.name || member.name}`, value: path, reason: 'is neither a writable signal nor movable' });
  const value = parseValue(text, { dtype: 'number' }, `${node.name || member.name}.set`);
  return { status: node.set(value, opts) as Status<unknown>, node, value };
}

/** Print what `node` reads after a set: a signal's value, or a device's hinted fields. */
async function printAfterSet(io: CliIO, device: Device, node: Device, label: string, value: unknown): Promise<void> {
  if (node instanceof SignalX) {
    io.out(`${label} done`);
    return;
  }
  if (node instanceof SignalW) {
    io.out(`${label} ${formatValue(value, undefined)} (written)`);
    return;
  }
  const { readings, keys } = await readNode(node);
  const hinted = node instanceof SignalR ? [] : ((node as { hints?: { fields?: string[] } }).hints?.fields ?? []);
  const shown = hinted.length > 0 ? Object.fromEntries(Object.entries(readings).filter(([k]) => hinted.includes(k))) : readings;
  printReadings(io, shown, keys, pathsByName(device), node instanceof SignalR ? label : undefined);
}

/** Wait (at most `limitMs`) until a failed move has finished halting the device, so closing does not cut the halt off. */
async function moveFinished(node: Device, limitMs = 2000): Promise<void> {
  const m = node as { moveInProgress?: unknown };
  const until = performance.now() + limitMs;
  while (m.moveInProgress === true && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
}

/** `labrig set` (see the module notes); resolves with the exit code. */
export async function setCli(args: string[], io: CliIO = STD_IO): Promise<number> {
  if (wantsHelp(args)) {
    io.out(SET_HELP);
    return 0;
  }
  let p: Parsed;
  let checked: ReturnType<typeof checkTarget>;
  try {
    p = parse(args, SET_USAGE, ['--rig', '--timeout-ms']);
    if (p.positionals.length !== 3 && p.positionals.length !== 2) throw new UsageError(SET_USAGE);
    checked = checkTarget([p.positionals[0]!], p.rig);
  } catch (e) {
    io.err(e instanceof UsageError ? (e.message.startsWith('usage:') ? e.message : `labrig set: ${e.message}`) : `labrig set: ${oneLine(e)}`);
    return 2;
  }
  const [, path, text] = p.positionals as [string, string, string | undefined];
  let opened: Awaited<ReturnType<typeof checked.open>> | undefined;
  let moved: Device | undefined;
  // On a signal: e-stop the device this command opened (confirmed on the wire), then close it.
  const handled = handlers(io, {
    stop: async () => {
      if (!opened) return;
      const report = await eStopMembers(opened.members);
      for (const line of formatEStop(report)) io.err(line);
    },
    cleanup: [() => opened?.close()],
  });
  try {
    opened = await checked.open(false);
    const member = opened.members[0]!;
    if (handled?.shutdown) throw new CanceledError('stopped by a signal before anything was sent');
    const started = await startSet(member, path, text, p.timeoutMs);
    moved = started.node;
    const { status, node, value } = started;
    const stream = io.progress ?? process.stderr;
    if (stream.isTTY) new ProgressPrinter(stream).follow(status);
    await status;
    await printAfterSet(io, member.device, node, path, value);
    return 0;
  } catch (e) {
    io.err(`labrig set: ${oneLine(e)}`);
    return 1;
  } finally {
    // A signal came: its handlers e-stop, close and exit; closing here would cut their confirmation off.
    if (handled?.shutdown) await handled.shutdown;
    handled?.();
    if (moved) await moveFinished(moved);
    await opened?.close().catch((e: unknown) => io.err(`labrig set: closing: ${oneLine(e)}`));
  }
}
