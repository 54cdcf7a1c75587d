/**
 * The help text of `labrig demo`, shared by the wire and the soft demo (kept apart so that the
 * soft demo does not load the drivers).
 * @module
 */

/** Help of `labrig demo` (wire and soft). */
export const DEMO_HELP = [
  'usage: labrig demo [--rig FILE] [--out DIR] [--points N] [--no-table]',
  '       labrig demo --soft [--out DIR] [--points N] [--no-table]',
  '',
  'Run a grid scan on the Galil/Alicat/Legato wire simulators (or on the devices of --rig FILE)',
  'and write it as JSON lines; --soft scans in-process soft devices instead.',
  '',
  '  --rig FILE    rig file (JSON or YAML) with a Galil controller of two axes, optionally an MFC and a pump;',
  '                any other readable device (e.g. a sim:nidaqmx channel) is read at every point',
  '  --out DIR     folder of the JSON-lines files (default ./runs; created if missing)',
  '  --points N    points per axis (soft: points of the scan); default 5 (soft: 21)',
  '  --no-table    no live table (the outcome of the run and failure reason are still printed)',
  '',
  'Ctrl-C, SIGTERM or SIGHUP stop the devices (e-stop), end the run as abort, close the file and',
  'exit 130/143/129; a second signal exits at once. Exit 0 on success, 1 when the run failed, 2 on',
  'a bad command line.',
].join('\n');

