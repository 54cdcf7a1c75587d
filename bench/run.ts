/**
 * `npm run bench`: every benchmark of labrig, each printing rates and ratios against a baseline
 * measured in the same run. Pass names to run a subset: `npm run bench -- core engine`.
 */
import { cpus, totalmem } from 'node:os';

const suites: Record<string, () => Promise<unknown>> = {
  core: async () => (await import('./core.js')).benchCore(),
  engine: async () => (await import('./engine.js')).benchEngine(),
  channel: async () => (await import('./channel.js')).benchChannel(),
  modbus: async () => (await import('./modbus.js')).benchModbus(),
  drivers: async () => (await import('./drivers.js')).benchDrivers(),
  alicat: async () => (await import('./drivers-alicat.js')).benchAlicat(),
  legato: async () => (await import('./drivers-legato.js')).benchLegato(),
  writers: async () => (await import('./writers.js')).benchWriters(),
  sequencer: async () => (await import('./sequencer.js')).benchSequencer(),
  'tango-addon': async () => (await import('./tango-addon.js')).benchTangoAddon(),
  potentiostat: async () => (await import('./potentiostat.js')).benchPotentiostat(),
  nidaqmx: async () => (await import('./nidaqmx.js')).benchNidaqmx(),
  tango: async () => (await import('./tango.js')).benchTango(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
console.log(`labrig benchmarks — node ${process.version}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString()}`);
let failed = 0;
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  try {
    await run();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /bench\/[\w-]+\.(js|ts)/.test(String(err.message))) {
      console.log(`\n${name}: not built yet`);
      continue;
    }
    failed++;
    console.error(`\n${name}: FAILED`, e);
  }
}
process.exitCode = failed ? 1 : 0;
