#!/usr/bin/env node
// Build labrig's native simulator libraries with the machine's C compiler (no make, no node-gyp):
//   native/nidaqmx-sim/build/libnidaqmx-sim.so   (SONAME libnidaqmx.so)
//   native/nidaqmx-sim/build/libnidaqmx.so       (the same file under NI's name, for NI's own clients)
//   native/nidaqmx-sim/build/nidaqmx-examples    (C client following NI's published call sequences)
//   native/nidaqmx-sim/build/nidaqmx-cbench      (C baseline of the nidaqmx bench)
//   native/eclib-sim/build/libeclib-sim.so       (BioLogic EClib simulator) and its C test client
// Rebuilds only what is older than its sources. Run by `npm run build:native`, `npm test` and
// tap's `before` hook; `npm ci` never needs it. Exit code 1 with a clear message when no C
// compiler is found (install Debian's `gcc`, or set CC).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, 'nidaqmx-sim');
const out = join(dir, 'build');

if (process.platform === 'win32') {
  console.error('labrig native build: the NI-DAQmx simulator library is built on Linux/macOS only (on Windows use NI-DAQmx itself).');
  process.exit(0);
}

const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
const cc = candidates.find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
if (!cc) {
  console.error(`labrig native build: no C compiler found (tried ${candidates.join(', ')}). Install one (Debian: apt-get install gcc) or set CC=/path/to/cc; the NI-DAQmx simulator library and its tests need it.`);
  process.exit(1);
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const stale = (target, sources) => {
  const t = mtime(target);
  return t === 0 || sources.some((s) => mtime(s) > t);
};
const run = (args) => {
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`labrig native build: ${cc} ${args.join(' ')}\n${r.stderr}`);
    process.exit(1);
  }
};

mkdirSync(out, { recursive: true });
const header = join(dir, 'nidaqmx_sim.h');
const libSrc = join(dir, 'nidaqmx_sim.c');
const lib = join(out, 'libnidaqmx-sim.so');
const soname = process.platform === 'darwin' ? ['-Wl,-install_name,libnidaqmx.so'] : ['-Wl,-soname,libnidaqmx.so'];
if (stale(lib, [libSrc, header, fileURLToPath(import.meta.url)])) {
  const tmp = `${lib}.${process.pid}.tmp`;
  run(['-std=gnu11', '-Wall', '-Wextra', '-O2', '-shared', '-fPIC', ...soname, '-o', tmp, libSrc, '-lpthread', '-lm']);
  renameSync(tmp, lib); // atomic: a test loading the library never sees half a file
}
const alias = join(out, 'libnidaqmx.so');
if (stale(alias, [lib])) {
  copyFileSync(lib, `${alias}.tmp`);
  renameSync(`${alias}.tmp`, alias);
}
for (const [name, src] of [['nidaqmx-examples', 'examples.c'], ['nidaqmx-cbench', 'cbench.c']]) {
  const exe = join(out, name);
  const source = join(dir, src);
  if (existsSync(source) && stale(exe, [source, header, lib])) {
    run(['-std=gnu11', '-Wall', '-O2', '-o', exe, source, `-L${out}`, '-lnidaqmx', `-Wl,-rpath,${out}`, '-lpthread', '-lm']);
  }
}

// BioLogic EClib simulator (native/eclib-sim): the library `sim:biologic` loads, and the C client
// written from BioLogic's published usage (native/eclib-sim/Makefile builds the same with make).
const eclibDir = join(here, 'eclib-sim');
const eclibOut = join(eclibDir, 'build');
mkdirSync(eclibOut, { recursive: true });
const eclib = join(eclibOut, 'libeclib-sim.so');
if (stale(eclib, [join(eclibDir, 'eclib_sim.c'), fileURLToPath(import.meta.url)])) {
  const tmp = `${eclib}.${process.pid}.tmp`;
  run(['-Wall', '-Wextra', '-O2', '-shared', '-fPIC', '-o', tmp, join(eclibDir, 'eclib_sim.c'), '-lpthread', '-lm']);
  renameSync(tmp, eclib);
}
const eclibClient = join(eclibOut, 'test_client');
if (stale(eclibClient, [join(eclibDir, 'test_client.c')])) run(['-Wall', '-Wextra', '-O2', '-o', eclibClient, join(eclibDir, 'test_client.c'), '-ldl']);
