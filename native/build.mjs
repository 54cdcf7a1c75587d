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

// labrig's native Tango backend (native/tango): an N-API addon over cppTango, built with the C++
// compiler directly against Node's own headers and node-addon-api (no node-gyp, no network), and
// only where cppTango's development files are installed (Debian: libtango-dev). Without them one
// line says so and the addon is skipped; the sidecar backend still serves tango:// devices.
buildTangoAddon();

function buildTangoAddon() {
  const tangoDir = join(here, 'tango');
  const target = join(tangoDir, 'build', 'labrig_tango.node');
  const pc = spawnSync('pkg-config', ['--exists', 'tango'], { stdio: 'ignore' });
  if (pc.status !== 0) {
    console.error('labrig native build: cppTango not found (pkg-config tango; Debian: apt-get install libtango-dev), skipping the Tango addon (the sidecar backend needs none).');
    return;
  }
  const nodeInclude = [join(dirname(process.execPath), '..', 'include', 'node'), process.env.LABRIG_NODE_INCLUDE].find((d) => d && existsSync(join(d, 'node_api.h')));
  const addonApi = join(here, '..', 'node_modules', 'node-addon-api');
  if (!nodeInclude || !existsSync(join(addonApi, 'napi.h'))) {
    console.error(`labrig native build: ${nodeInclude ? 'node-addon-api is not installed' : "Node's headers (include/node/node_api.h next to the node binary, or LABRIG_NODE_INCLUDE) are missing"}, skipping the Tango addon.`);
    return;
  }
  const cxx = [process.env.CXX, 'g++', 'c++', 'clang++'].filter(Boolean).find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!cxx) {
    console.error('labrig native build: no C++ compiler found (tried $CXX, g++, c++, clang++), skipping the Tango addon.');
    return;
  }
  const src = join(tangoDir, 'tango_addon.cc');
  if (!stale(target, [src, fileURLToPath(import.meta.url)])) return;
  const flags = (args) => {
    const r = spawnSync('pkg-config', args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim().split(/\s+/).filter(Boolean) : [];
  };
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  // C++ exceptions and RTTI on: cppTango reports every failure as a thrown Tango::DevFailed.
  const args = [
    '-std=c++17', '-O2', '-fPIC', '-shared', '-fexceptions', '-frtti', '-Wall', '-Wno-deprecated-declarations',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    `-I${nodeInclude}`, `-I${addonApi}`, ...flags(['--cflags', 'tango']),
    '-o', tmp, src, ...flags(['--libs', 'tango']), '-lpthread',
  ];
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`labrig native build: building the Tango addon failed: ${cxx} ${args.join(' ')}\n${r.stderr}`);
    process.exit(1);
  }
  renameSync(tmp, target);
}
