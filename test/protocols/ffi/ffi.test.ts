/**
 * FFI against real C code: the test compiles fixture/labrig_ffi_fixture.c into a temporary
 * directory with the machine's C compiler, loads it through labrig's loader and checks loading,
 * typed binding, out-pointers, vendor status mapping, asynchronous calls and callbacks called
 * synchronously and from a C thread. Skipped (with the reason) only when no C compiler exists.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceError, DisconnectedError, InvalidInputError, InvalidStateError } from '../../../src/core/errors.js';
import { NotFoundError } from '../../../src/protocols/discovery/not-found.js';
import { bufferedErrorText, libraryCandidates, loadLibrary, type FfiWarning, type NativeLibrary } from '../../../src/protocols/ffi/index.js';

/** Return what `fn` throws (undefined if it returns). */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'fixture', 'labrig_ffi_fixture.c');
const compiler = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

if (!compiler) {
  t.plan(0, 'no C compiler (cc, gcc or clang) on this machine: the FFI fixture cannot be built');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-ffi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const soName = 'liblabrig_fixture.so';
  const built = spawnSync(compiler, ['-Wall', '-shared', '-fPIC', '-o', join(dir, soName), source, '-lpthread'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`compiling the fixture failed:\n${built.stderr}`);
  const garbage = join(dir, 'libgarbage.so');
  writeFileSync(garbage, 'this is not an ELF file');
  const fixturePath = join(dir, soName);

  interface FixtureApi {
    init(): void;
    add(a: number, b: number): number;
    ramp(out: Float64Array, count: number, start: number, step: number, written: number[]): number;
    getName(buf: Buffer, size: number): number;
    status(code: number): number;
    callNow(cb: unknown, value: number): number;
    callLater(cb: unknown, value: number, delayMs: number): number;
    join(): number;
    [k: string]: (...args: never[]) => unknown;
  }
  const declarations = {
    init: 'void fixture_init(void)',
    add: 'int32_t fixture_add(int32_t a, int32_t b)',
    ramp: 'int32_t fixture_ramp(double *out, int32_t count, double start, double step, _Out_ int32_t *written)',
    getName: 'int32_t fixture_get_name(char *buf, uint32_t size)',
    status: 'int32_t fixture_status(int32_t code)',
    callNow: 'int32_t fixture_call_now(LabrigFixtureCb *cb, int32_t value)',
    callLater: 'int32_t fixture_call_later(LabrigFixtureCb *cb, int32_t value, int32_t delay_ms)',
    join: 'int32_t fixture_join(void)',
  } as const;
  const CB = 'int32_t LabrigFixtureCb(int32_t value, int32_t on_main_thread)';

  const open = (t: Tap, extra: Partial<Parameters<typeof loadLibrary>[0]> = {}): NativeLibrary => {
    const lib = loadLibrary({ name: 'fixture', fileNames: { linux: [soName] }, paths: [fixturePath], envVar: false, ...extra });
    t.teardown(() => lib.unload());
    return lib;
  };
  type Tap = { teardown(fn: () => void): void };

  t.test('candidate paths: explicit, environment, search paths, then the system loader', async (t) => {
    const c = libraryCandidates({
      name: 'daq',
      fileNames: { linux: ['libnidaqmx.so', 'libnidaqmx.so.1'], win32: ['nicaiu.dll'], darwin: ['nidaqmx.framework/nidaqmx'] },
      paths: ['/opt/x/libnidaqmx.so'],
      env: { LABRIG_LIB_PATH: `/env/a:${garbage}` },
      searchPaths: ['/usr/local/natinst/lib'],
      platform: 'linux',
    });
    t.same(c, [
      { path: '/opt/x/libnidaqmx.so', source: 'paths' },
      { path: '/env/a/libnidaqmx.so', source: 'env' },
      { path: '/env/a/libnidaqmx.so.1', source: 'env' },
      { path: garbage, source: 'env' },
      { path: '/usr/local/natinst/lib/libnidaqmx.so', source: 'searchPaths' },
      { path: '/usr/local/natinst/lib/libnidaqmx.so.1', source: 'searchPaths' },
      { path: 'libnidaqmx.so', source: 'system' },
      { path: 'libnidaqmx.so.1', source: 'system' },
    ]);
    const win = libraryCandidates({ name: 'daq', fileNames: { win32: ['nicaiu.dll'] }, env: { DAQ_DIR: 'C:\\NI;D:\\NI' }, envVar: 'DAQ_DIR', platform: 'win32' });
    t.same(win.map((x) => x.path), ['C:\\NI\\nicaiu.dll', 'D:\\NI\\nicaiu.dll', 'nicaiu.dll'], 'per-OS names, separators and delimiter');
    t.same(libraryCandidates({ name: 'daq', fileNames: { linux: ['a.so'] }, envVar: false, env: { LABRIG_LIB_PATH: '/x' }, platform: 'linux' }).length, 1);
  });

  t.test('loads from explicit paths, the environment and search paths', async (t) => {
    const viaPaths = open(t, { paths: ['/nonexistent/libnope.so', fixturePath] });
    t.equal(viaPaths.path, fixturePath);
    const viaEnv = open(t, { paths: [], envVar: 'LABRIG_LIB_PATH', env: { LABRIG_LIB_PATH: `/nonexistent:${dir}` }, fileNames: { linux: ['libnidaqmx.so', soName] } });
    t.equal(viaEnv.path, fixturePath);
    const viaSearch = open(t, { paths: [], searchPaths: ['/nonexistent', dir] });
    t.equal(viaSearch.path, fixturePath);
    t.equal(viaSearch.bind<(a: number, b: number) => number>('int32_t fixture_add(int32_t a, int32_t b)')(40, 2), 42);
  });

  t.test('nothing loads: one NotFoundError listing every path tried and why', async (t) => {
    const err = caught(() =>
      loadLibrary({ name: 'NI-DAQmx', fileNames: { linux: ['libnidaqmx_missing.so'] }, paths: [garbage], searchPaths: ['/nonexistent'], envVar: false }),
    ) as NotFoundError;
    t.ok(err instanceof NotFoundError);
    t.ok(err instanceof DisconnectedError, 'the FfiLibrary contract reports load failures as DisconnectedError');
    t.equal(err.tried.length, 3);
    t.match(err.tried[0], new RegExp(`^${garbage} \\[paths\\]: .*(too short|ELF)`));
    t.match(err.tried[1], /^\/nonexistent\/libnidaqmx_missing\.so \[searchPaths\]: .*No such file/);
    t.match(err.tried[2], /^libnidaqmx_missing\.so \[system\]:/);
    t.match(err.message, /NI-DAQmx library: could not load the linux library; tried:\n  - /);
    t.throws(() => loadLibrary({ name: 'x', fileNames: { win32: ['x.dll'] }, platform: 'linux', envVar: false }), InvalidInputError, 'no name for the platform');
  });

  t.test('typed binding from a declaration table, with out-pointers and buffers', async (t) => {
    const lib = open(t);
    const api = lib.bindAll<FixtureApi>(declarationsWithProto(lib));
    t.equal(api.add(2, 3), 5);
    t.equal(api.add(-7, 3), -4);
    const out = new Float64Array(5);
    const written = [0];
    t.equal(api.ramp(out, 5, 1, 0.5, written), 0);
    t.same([...out], [1, 1.5, 2, 2.5, 3], 'C wrote into the JS buffer');
    t.same(written, [5], '_Out_ parameter came back');
    const name = Buffer.alloc(64);
    t.equal(api.getName(name, 64), 0);
    t.equal(name.toString('latin1', 0, name.indexOf(0)), 'labrig fixture 1.0');
    t.equal(api.getName(Buffer.alloc(4), 4), -201, 'too small: the vendor error code comes back');
  });

  t.test('bad declarations: every failure reported at once, typed', async (t) => {
    const lib = open(t);
    const err = caught(() => lib.bindAll({ a: 'int32_t fixture_nope(int32_t)', b: 'int32_t fixture_add(int32_t a, flaot b)', c: 'fixture_add' })) as InvalidInputError | undefined;
    t.ok(err instanceof InvalidInputError);
    t.match(err?.message, /a: .*Cannot find function 'fixture_nope'/);
    t.match(err?.message, /b: .*flaot/);
    t.match(err?.message, /c: .*must look like/);
  });

  t.test('vendor status codes: errors throw DeviceError with the vendor text, warnings go to a callback', async (t) => {
    const warnings: FfiWarning[] = [];
    const lib = open(t, {
      errors: { [-50103]: { text: 'table text (not used: the vendor text wins)', kind: 'RESOURCE_RESERVED' }, [-300]: { text: 'only in the table', kind: 'TABLE_ONLY' } },
      status: { onWarning: (w) => warnings.push(w) },
    });
    lib.useErrorText(bufferedErrorText(lib.bind('int32_t fixture_get_error_string(int32_t code, char *buf, uint32_t size)')));
    const status = lib.bindChecked<[number]>('int32_t fixture_status(int32_t code)');
    t.equal(status(0), 0);
    const e1 = caught(() => status(-200)) as DeviceError | undefined;
    t.ok(e1 instanceof DeviceError);
    t.equal(e1?.vendorCode, -200);
    t.equal(e1?.vendorMessage, 'fixture_status: Negative count requested.');
    t.equal(e1?.device, 'fixture');
    const e2 = caught(() => status(-50103)) as DeviceError | undefined;
    t.equal(e2?.vendorMessage, 'fixture_status: The specified resource is reserved.');
    t.equal(e2?.kind, 'RESOURCE_RESERVED', 'the table still classifies');
    t.match(caught(() => status(-300)), { vendorMessage: 'fixture_status: only in the table', kind: 'TABLE_ONLY' });
    t.match(caught(() => status(-12345)), { vendorMessage: 'fixture_status: unknown vendor status code -12345' });
    t.equal(status(200), 200, 'a warning does not throw');
    t.same(warnings, [{ device: 'fixture', fn: 'fixture_status', code: 200, message: 'Warning: the sample rate was coerced.' }]);
    t.equal(lib.describe(-201), 'Buffer too small for the name.');
    t.doesNotThrow(() => lib.check(0, 'x'));
  });

  t.test('asynchronous calls run on a worker thread and leave the event loop free', async (t) => {
    const lib = open(t);
    const slowAdd = lib.bindAsync<[number, number, number], number>('int32_t fixture_slow_add(int32_t a, int32_t b, int32_t ms)');
    const order: string[] = [];
    const result = slowAdd(20, 22, 100).then((v) => {
      order.push('result');
      return v;
    });
    await new Promise<void>((r) => setImmediate(() => (order.push('event loop'), r())));
    t.equal(await result, 42);
    t.same(order, ['event loop', 'result'], 'the JS thread ran while C slept');
  });

  t.test('callbacks: synchronous, and from a C thread marshalled to the JS thread', async (t) => {
    const lib = open(t);
    const api = lib.bindAll<FixtureApi>(declarationsWithProto(lib));
    api.init();
    const calls: Array<[number, number]> = [];
    const now = lib.callback(CB, (value: number, onMain: number) => {
      calls.push([value, onMain]);
      return value * 2;
    });
    t.equal(api.callNow(now.pointer, 7), 14, 'C got the JS return value');
    t.same(calls, [[7, 1]], 'called on the main thread');

    let done!: (v: [number, number]) => void;
    const called = new Promise<[number, number]>((r) => (done = r));
    const later = lib.callback(CB, (value: number, onMain: number) => {
      done([value, onMain]);
      return value + 100;
    });
    t.equal(api.callLater(later.pointer, 21, 20), 0);
    const hangGuard = setTimeout(() => done([-1, -1]), 10_000);
    const [value, onMain] = await called;
    clearTimeout(hangGuard);
    t.same([value, onMain], [21, 0], 'the C thread was not the main thread, yet JS ran the callback');
    t.equal(api.join(), 121, 'the C thread received the JS return value');
    now.close();
    later.close();
    later.close();
    t.equal(later.closed, true);
  });

  t.test('a throwing callback reports the error and C gets the error value', async (t) => {
    const lib = open(t);
    const api = lib.bindAll<FixtureApi>(declarationsWithProto(lib));
    const errors: Error[] = [];
    const bad = lib.callback(CB, () => {
      throw new Error('callback failed');
    }, { onError: (e) => errors.push(e), errorValue: -1 });
    t.equal(api.callNow(bad.pointer, 1), -1);
    t.match(errors.map((e) => e.message), ['callback failed']);
    const dflt = lib.callback(CB, () => {
      throw 'not an Error';
    }, { onError: (e) => errors.push(e) });
    t.equal(api.callNow(dflt.pointer, 1), 0, 'default error value for an int callback is 0');
    t.match(errors[1]?.message, /non-Error thrown/);
  });

  t.test('unload closes callbacks and refuses further use; conflicting prototypes are typed errors', async (t) => {
    const lib = loadLibrary({ name: 'fixture', fileNames: { linux: [soName] }, paths: [fixturePath], envVar: false });
    const cb = lib.callback(CB, () => 0);
    lib.unload();
    lib.unload();
    t.equal(cb.closed, true);
    t.throws(() => lib.bind('int32_t fixture_add(int32_t a, int32_t b)'), InvalidStateError);
    const lib2 = open(t);
    t.throws(() => lib2.callback('double LabrigFixtureCb(double x)', () => 0), /callback prototype/);
  });

  /** The table with the callback type declared first (koffi resolves type names at bind time). */
  function declarationsWithProto(lib: NativeLibrary): typeof declarations {
    lib.callback(CB, () => 0).close();
    return declarations;
  }
}
