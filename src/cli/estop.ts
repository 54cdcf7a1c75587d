/**
 * `labrig estop <uri> | --rig FILE [device...]`: emergency-stop a device, or every device of a
 * rig, and confirm on the wire that each is stopped (each family's e-stop and confirmation, the
 * same as `Rig.eStop()`: Galil `AB` then `MO` and every axis reads not moving and motor off;
 * Alicat `HLD` with the hold flag in the frame; Legato stop and the idle prompt). Devices are
 * opened read-only (no servo enabled, no setting applied) so that opening cannot move anything.
 * Prints one line per device with what was confirmed; exit 0 when every device confirmed, 1 when
 * one did not (the line says why), 2 on a bad command line.
 * @module
 */
import { eStopMembers, ESTOP_TIMEOUT_MS, formatEStop, installSignalHandlers } from '../rig/index.js';
import type { CliIO } from './read-set.js';
import { checkTarget } from './target.js';
import { oneLine, UsageError, wantsHelp } from './usage.js';

const USAGE = 'usage: labrig estop [--timeout-ms MS] <uri> | --rig FILE [device...]';
const HELP = `${USAGE}
  stop a device (or every device of the rig, or the ones named) and confirm on the wire that it
  stopped: Galil abort + motors off, Alicat valve held, pump stopped. Opening changes nothing.
  --timeout-ms MS   limit of each device's stop and confirmation (default ${ESTOP_TIMEOUT_MS})
  Exit 0 all confirmed, 1 a device not confirmed (or not reachable), 2 bad command line.`;

const STD_IO: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

function parse(args: string[]): { rig: string | undefined; timeoutMs: number; targets: string[] } {
  let rig: string | undefined;
  let timeoutMs = ESTOP_TIMEOUT_MS;
  const targets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) {
      targets.push(a);
      continue;
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value; see labrig estop --help`);
      return v;
    };
    if (flag === '--rig') rig = value();
    else if (flag === '--timeout-ms') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--timeout-ms must be a whole number of ms >= 1 (got ${v})`);
      timeoutMs = Number(v);
    } else throw new UsageError(`unknown option ${flag}; see labrig estop --help`);
  }
  if (rig === undefined && targets.length === 0) throw new UsageError(USAGE);
  return { rig, timeoutMs, targets };
}

/** Run `labrig estop` (see the module notes); resolves with the exit code. */
export async function estopCli(args: string[], io: CliIO = STD_IO): Promise<number> {
  if (wantsHelp(args)) {
    io.out(HELP);
    return 0;
  }
  let parsed: ReturnType<typeof parse>;
  let checked: ReturnType<typeof checkTarget>;
  try {
    parsed = parse(args);
    checked = checkTarget(parsed.targets, parsed.rig, true);
  } catch (e) {
    io.err(e instanceof UsageError ? (e.message.startsWith('usage:') ? e.message : `labrig estop: ${e.message}`) : `labrig estop: ${oneLine(e)}`);
    return 2;
  }
  let opened: Awaited<ReturnType<typeof checked.open>> | undefined;
  // A signal while it runs: stop what was opened (again), close it (simulators, temp dirs), exit 128+n.
  const handled = io === STD_IO
    ? installSignalHandlers({
      stop: async () => {
        if (opened) for (const line of formatEStop(await eStopMembers(opened.members, parsed.timeoutMs))) io.err(line);
      },
      cleanup: [() => opened?.close()],
    })
    : undefined;
  try {
    opened = await checked.open(true, true);
    const report = await eStopMembers(opened.members, parsed.timeoutMs);
    if (opened.members.length > 0) for (const line of formatEStop(report)) io.out(line);
    // A device that could not be opened was not stopped: say so, and fail.
    for (const [name, err] of opened.failed) io.out(`  FAIL ${name}: NOT stopped, could not connect: ${oneLine(err)}`);
    return report.ok && opened.failed.size === 0 ? 0 : 1;
  } catch (e) {
    io.err(`labrig estop: NOT stopped: ${oneLine(e)}`);
    return 1;
  } finally {
    if (handled?.shutdown) await handled.shutdown;
    handled?.();
    await opened?.close().catch((e: unknown) => io.err(`labrig estop: closing: ${oneLine(e)}`));
  }
}
