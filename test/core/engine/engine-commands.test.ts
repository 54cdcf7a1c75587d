import t from 'tap';
import { InvalidInputError, InvalidStateError, TimeoutError, UnsupportedError, WaitTimeoutError } from '../../../src/core/errors.js';
import { Status } from '../../../src/core/status.js';
import type { Msg } from '../../../src/core/engine/messages.js';
import { attempt, makeDet, makeMotor, makeSignal, now, withEngine } from './engine-fixtures.js';
import type { Attempt } from './engine-fixtures.js';

const errOf = (a: Attempt): unknown => (a.ok ? undefined : a.error);

t.test('open_run / close_run: metadata, uid, exit status and reason; misuse is an InvalidStateError', async (t) => {
  await withEngine(t, { md: { operator: 'ada' } }, async ({ re, rec }) => {
    const out: Attempt[] = [];
    const r = await re.run(function* () {
      out.push(yield* attempt({ command: 'close_run' }));
      out.push(yield* attempt({ command: 'open_run', md: { sample: 'A1', purpose: 'test' } }));
      out.push(yield* attempt({ command: 'open_run' }));
      out.push(yield* attempt({ command: 'close_run', exitStatus: 'abort', reason: 'by plan' }));
    }, { purpose: 'override' });
    t.equal(r.exitStatus, 'success');
    t.type(errOf(out[0]!), InvalidStateError, 'close_run without open_run');
    t.ok(out[1]!.ok);
    const start = rec.of('start')[0];
    t.equal((out[1] as { value: unknown }).value, start.uid, 'open_run returns the run uid');
    t.same(r.runStartUids, [start.uid]);
    t.equal(start.operator, 'ada', 'persistent metadata');
    t.equal(start.sample, 'A1', 'open_run metadata');
    t.equal(start.purpose, 'override', 'run() metadata has the last word');
    t.equal(start.scan_id, 1);
    t.type(errOf(out[2]!), InvalidStateError, 'open_run twice');
    const stop = rec.of('stop')[0];
    t.equal(stop.exit_status, 'abort');
    t.equal(stop.reason, 'by plan');
    t.equal(stop.run_start, start.uid);
  });
});

t.test('several runs open at once, addressed by run key', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d');
    const r = await re.run(function* () {
      yield { command: 'open_run', run: 'a', md: { which: 'a' } };
      yield { command: 'open_run', run: 'b', md: { which: 'b' } };
      for (const run of ['a', 'b', 'a']) {
        yield { command: 'create', run };
        yield { command: 'read', obj: d, run };
        yield { command: 'save', run };
      }
      yield { command: 'close_run', run: 'b' };
      yield { command: 'close_run', run: 'a' };
    });
    t.equal(r.runStartUids.length, 2);
    const [a, b] = rec.of('start');
    const descs = rec.of('descriptor');
    const byRun = (uid: string) => rec.of('event').filter((e) => descs.find((x) => x.uid === e.descriptor).run_start === uid);
    t.same(byRun(a.uid).map((e) => e.seq_num), [1, 2]);
    t.same(byRun(b.uid).map((e) => e.seq_num), [1]);
    t.same(rec.of('stop').map((s) => s.run_start), [b.uid, a.uid]);
  });
});

t.test('declare_stream, create, read, save, drop', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const d = makeDet('d');
    const m = makeMotor('m');
    const noRead = { name: 'blind' };
    const out: Record<string, Attempt> = {};
    await re.run(function* () {
      out['createNoRun'] = yield* attempt({ command: 'create' });
      yield { command: 'open_run' };
      out['declare'] = yield* attempt({ command: 'declare_stream', name: 'primary', objs: [m, d] });
      out['declareAgain'] = yield* attempt({ command: 'declare_stream', name: 'primary', objs: [m, d] });
      out['readOutside'] = yield* attempt({ command: 'read', obj: d });
      out['saveNoCreate'] = yield* attempt({ command: 'save' });
      yield { command: 'create' };
      yield { command: 'read', obj: m };
      out['read'] = yield* attempt({ command: 'read', obj: d });
      out['readTwice'] = yield* attempt({ command: 'read', obj: d });
      yield { command: 'save' };
      yield { command: 'create' };
      yield { command: 'read', obj: m };
      yield { command: 'drop' };
      yield { command: 'create', name: 'primary' };
      yield { command: 'read', obj: d };
      out['wrongObjs'] = yield* attempt({ command: 'save' });
      yield { command: 'create', name: 'other' };
      out['noRead'] = yield* attempt({ command: 'read', obj: noRead as never });
      yield { command: 'drop' };
      out['dropNone'] = yield* attempt({ command: 'drop' });
      yield { command: 'close_run' };
    });
    t.type(errOf(out['createNoRun']!), InvalidStateError);
    t.match((errOf(out['createNoRun']!) as Error).message, /open_run/);
    t.equal((out['declare'] as { value: { name: string } }).value.name, 'primary', 'declare_stream returns the descriptor');
    t.type(errOf(out['declareAgain']!), InvalidStateError);
    t.ok(out['readOutside']!.ok, 'read outside create/save just reads');
    t.type(errOf(out['saveNoCreate']!), InvalidStateError);
    t.same(Object.keys((out['read'] as { value: object }).value), ['d'], 'read returns the readings');
    t.type(errOf(out['readTwice']!), InvalidStateError);
    t.type(errOf(out['wrongObjs']!), InvalidStateError, 'an event of a stream must read its objects');
    const e = errOf(out['noRead']!) as UnsupportedError;
    t.type(e, UnsupportedError);
    t.equal(e.device, 'blind');
    t.equal(e.verb, 'read');
    t.type(errOf(out['dropNone']!), InvalidStateError);
    t.same(rec.names(), ['start', 'descriptor', 'event', 'stop'], 'descriptor first (declared), dropped events never emitted');
    const desc = rec.of('descriptor')[0];
    t.same(Object.keys(desc.data_keys), ['m', 'd']);
    t.same(desc.object_keys, { m: ['m'], d: ['d'] });
    t.same(rec.of('event')[0].data, { m: 0, d: 2 }, 'the readOutside read counted; the event holds the second read');
  });
});

t.test('async read and describe; configuration and hints reach the descriptor; configure', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    let gain = 1;
    const cam = {
      name: 'cam',
      hints: { fields: ['cam'] },
      async read() {
        return { cam: { value: 42 * gain, timestamp: now() } };
      },
      async describe() {
        return { cam: { source: 'sim://cam', dtype: 'number' as const, shape: [] } };
      },
      readConfiguration() {
        return { cam_gain: { value: gain, timestamp: now() } };
      },
      describeConfiguration() {
        return { cam_gain: { source: 'sim://cam/gain', dtype: 'number' as const, shape: [] } };
      },
      configure(v: Record<string, unknown>) {
        const old = { cam_gain: { value: gain, timestamp: now() } };
        gain = Number(v['gain']);
        return [old, { cam_gain: { value: gain, timestamp: now() } }] as [never, never];
      },
    };
    const out: Attempt[] = [];
    await re.run(function* () {
      yield { command: 'open_run' };
      out.push(yield* attempt({ command: 'configure', obj: cam, values: { gain: 2 } }));
      yield { command: 'create' };
      yield { command: 'read', obj: cam };
      out.push(yield* attempt({ command: 'configure', obj: cam, values: { gain: 3 } }));
      yield { command: 'save' };
      yield { command: 'create', name: 'later' };
      yield { command: 'read', obj: cam };
      yield { command: 'save' };
      out.push(yield* attempt({ command: 'configure', obj: makeDet('plain') as never, values: {} }));
      yield { command: 'close_run' };
    });
    const [old, next] = (out[0] as { value: [Record<string, { value: number }>, Record<string, { value: number }>] }).value;
    t.equal(old['cam_gain']!.value, 1);
    t.equal(next['cam_gain']!.value, 2);
    t.type(errOf(out[1]!), InvalidStateError, 'configure inside create/save is refused');
    t.type(errOf(out[2]!), UnsupportedError);
    const [primary, later] = rec.of('descriptor');
    t.same(primary.configuration.cam.data, { cam_gain: 2 });
    t.same(primary.configuration.cam.data_keys.cam_gain.source, 'sim://cam/gain');
    t.same(primary.hints, { cam: { fields: ['cam'] } });
    t.same(later.configuration.cam.data, { cam_gain: 2 });
    t.same(rec.of('event').map((e) => e.data.cam), [84, 84]);
  });
});

t.test('set, trigger and wait by group (or all groups); Statuses come back to the plan', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const m1 = makeMotor('m1', { moveMs: 20 });
    const m2 = makeMotor('m2', { moveMs: 5 });
    const d = makeDet('d', { triggerMs: 5 });
    const seen: Record<string, unknown> = {};
    await re.run(function* () {
      const s1 = yield { command: 'set', obj: m1, value: 3, group: 'a' };
      const s2 = yield { command: 'set', obj: m2, value: 4, group: 'b' };
      seen['statuses'] = [s1, s2];
      seen['waitB'] = yield { command: 'wait', group: 'b' };
      seen['m1AfterB'] = m1.position;
      seen['m2AfterB'] = m2.position;
      yield { command: 'wait', group: 'a' };
      seen['m1AfterA'] = m1.position;
      yield { command: 'set', obj: m1, value: 7, group: 'c' };
      const tr = yield { command: 'trigger', obj: d };
      seen['trigger'] = tr;
      seen['waitAll'] = yield { command: 'wait' };
      seen['m1AfterAll'] = m1.position;
      seen['triggerDone'] = (tr as Status<unknown>).done;
      seen['setNoVerb'] = yield* attempt({ command: 'set', obj: d as never, value: 1 });
      seen['trigNoVerb'] = yield* attempt({ command: 'trigger', obj: m1 as never });
      seen['waitEmpty'] = yield { command: 'wait', group: 'nothing' };
    });
    const [s1, s2] = seen['statuses'] as Status<unknown>[];
    t.type(s1, Status);
    t.type(s2, Status);
    t.equal(seen['waitB'], true);
    t.equal(seen['m2AfterB'], 4);
    t.equal(seen['m1AfterB'], 0, 'group a was not waited for yet');
    t.equal(seen['m1AfterA'], 3);
    t.equal(seen['m1AfterAll'], 7, 'wait without a group waits for every group');
    t.equal(seen['triggerDone'], true);
    const e1 = errOf(seen['setNoVerb'] as Attempt) as UnsupportedError;
    t.type(e1, UnsupportedError);
    t.match(e1.message, /d does not support 'set'/);
    t.match((errOf(seen['trigNoVerb'] as Attempt) as Error).message, /m1 does not support 'trigger'/);
    t.equal(seen['waitEmpty'], true);
  });
});

t.test('wait with timeoutMs throws WaitTimeoutError into the plan (the move carries on); moveOn returns false', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const m = makeMotor('m', { moveMs: 60 });
    const seen: Record<string, unknown> = {};
    const r = await re.run(function* () {
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      seen['timeout'] = yield* attempt({ command: 'wait', group: 'g', timeoutMs: 5 });
      seen['moveOn'] = yield { command: 'wait', group: 'g', timeoutMs: 5, moveOn: true };
      seen['final'] = yield { command: 'wait', group: 'g', timeoutMs: 2000 };
      seen['pos'] = m.position;
      seen['bad'] = yield* attempt({ command: 'wait', group: 'g', timeoutMs: -1 });
    });
    t.equal(r.exitStatus, 'success');
    const e = errOf(seen['timeout'] as Attempt) as WaitTimeoutError;
    t.type(e, WaitTimeoutError);
    t.equal(e.afterMs, 5);
    t.match(e.message, /group 'g'/);
    t.equal(seen['moveOn'], false);
    t.equal(seen['final'], true, 'the statuses stayed in their group after the timeouts');
    t.equal(seen['pos'], 1);
    t.type(errOf(seen['bad'] as Attempt), InvalidInputError);
  });
});

t.test('an uncaught wait timeout fails the run with the timeout as reason', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const m = makeMotor('m', { moveMs: 1000 });
    const r = await re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'set', obj: m, value: 1, group: 'g' };
      yield { command: 'wait', group: 'g', timeoutMs: 5 };
    });
    t.equal(r.exitStatus, 'fail');
    t.type(r.exception, TimeoutError);
    t.match(r.reason, /timed out after 5 ms/);
    t.equal(rec.of('stop')[0].exit_status, 'fail');
    t.equal(rec.of('stop')[0].reason, r.reason);
    t.equal(m.stops.length, 1, 'the move was stopped at cleanup');
  });
});

t.test('sleep, null, checkpoint inside an event, rewindable, input, wait_for, locate, stop', async (t) => {
  await withEngine(t, { inputProvider: async (prompt) => `answer to ${prompt}` }, async ({ re }) => {
    const m = makeMotor('m');
    const asyncLoc = { name: 'al', set: () => Status.finished<unknown>(), locate: async () => ({ setpoint: 1, readback: 0.9 }) };
    const seen: Record<string, unknown> = {};
    await re.run(function* () {
      const t0 = performance.now();
      yield { command: 'sleep', seconds: 0.02 };
      seen['slept'] = performance.now() - t0;
      seen['badSleep'] = yield* attempt({ command: 'sleep', seconds: -1 });
      seen['null'] = yield { command: 'null' };
      yield { command: 'open_run' };
      yield { command: 'create' };
      seen['cpInEvent'] = yield* attempt({ command: 'checkpoint' });
      yield { command: 'drop' };
      seen['rw0'] = yield { command: 'rewindable' };
      seen['rw1'] = yield { command: 'rewindable', allow: false };
      seen['rw2'] = yield { command: 'rewindable', allow: true };
      seen['input'] = yield { command: 'input', prompt: 'q?' };
      seen['waitFor'] = yield { command: 'wait_for', awaitables: [async () => 1, () => Promise.resolve(2)] };
      seen['waitForTimeout'] = yield* attempt({ command: 'wait_for', awaitables: [() => new Promise(() => {})], timeoutMs: 5 });
      yield { command: 'set', obj: m, value: 2 };
      seen['loc1'] = yield { command: 'locate', objs: [m] };
      seen['loc2'] = yield { command: 'locate', objs: [m, asyncLoc] };
      seen['loc3'] = yield { command: 'locate', objs: [m], squeeze: false };
      seen['locBad'] = yield* attempt({ command: 'locate', objs: [makeDet('x') as never] });
      yield { command: 'stop', obj: m };
      seen['stopBad'] = yield* attempt({ command: 'stop', obj: makeDet('y') as never });
      yield { command: 'close_run' };
    });
    t.ok((seen['slept'] as number) >= 15, 'slept about 20 ms');
    t.type(errOf(seen['badSleep'] as Attempt), InvalidInputError);
    t.equal(seen['null'], undefined);
    t.type(errOf(seen['cpInEvent'] as Attempt), InvalidStateError);
    t.same([seen['rw0'], seen['rw1'], seen['rw2']], [true, false, true]);
    t.equal(seen['input'], 'answer to q?');
    t.same(seen['waitFor'], [{ status: 'fulfilled', value: 1 }, { status: 'fulfilled', value: 2 }]);
    const te = errOf(seen['waitForTimeout'] as Attempt) as TimeoutError;
    t.type(te, TimeoutError);
    t.equal(te.operation, 'wait_for');
    t.same(seen['loc1'], { setpoint: 2, readback: 2 });
    t.same(seen['loc2'], [{ setpoint: 2, readback: 2 }, { setpoint: 1, readback: 0.9 }]);
    t.same(seen['loc3'], [{ setpoint: 2, readback: 2 }]);
    t.type(errOf(seen['locBad'] as Attempt), UnsupportedError);
    t.same(m.stops, [undefined, { success: true }], 'the stop message called stop(), then cleanup stopped what moved');
    t.type(errOf(seen['stopBad'] as Attempt), UnsupportedError);
  });
  await withEngine(t, {}, async ({ re }) => {
    const r = await re.run(function* () {
      yield { command: 'input', prompt: '?' };
    });
    t.equal(r.exitStatus, 'fail');
    t.match(r.reason, /inputProvider/);
  });
});

t.test('stage and unstage: Statuses join their group; non-stageable devices are skipped; cleanup unstages', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const calls: string[] = [];
    const slow = {
      name: 'slow',
      stage() {
        calls.push('stage slow');
        const s = new Status<unknown>({ name: 'slow.stage' });
        setTimeout(() => s.setFinished(), 5);
        return s;
      },
      unstage() {
        calls.push('unstage slow');
      },
    };
    const other = { name: 'other', stage() { calls.push('stage other'); }, unstage() { calls.push('unstage other'); return Promise.resolve(); } };
    const seen: unknown[] = [];
    await re.run(function* () {
      seen.push(yield { command: 'stage', obj: slow, group: 's' });
      yield { command: 'wait', group: 's' };
      yield { command: 'stage', obj: other };
      seen.push(yield { command: 'stage', obj: makeDet('plain') as never });
      yield { command: 'unstage', obj: slow };
    });
    t.type(seen[0], Status);
    t.equal((seen[0] as Status<unknown>).done, true);
    t.equal(seen[1], undefined);
    t.same(calls, ['stage slow', 'stage other', 'unstage slow', 'unstage other'], 'the engine unstaged what the plan left staged');
  });
});

t.test('kickoff, complete, collect (events, pages, payload, multi-stream), prepare; backstop collect at cleanup', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const rows = (n: number, key: string) => Array.from({ length: n }, (_, i) => ({ data: { [key]: i }, timestamps: { [key]: now() }, time: now() }));
    const flyer = {
      name: 'fly',
      prepared: undefined as unknown,
      prepare(v: unknown) {
        this.prepared = v;
        return Status.finished<unknown>();
      },
      kickoff: () => Status.finished<unknown>(),
      complete: () => Status.finished<unknown>(),
      describeCollect: () => ({ fly_x: { source: 'sim://fly/x', dtype: 'number' as const, shape: [] } }),
      collect: () => rows(3, 'fly_x'),
    };
    const multi = {
      name: 'multi',
      kickoff: () => Status.finished<unknown>(),
      complete: () => Status.finished<unknown>(),
      describeCollect: () => ({
        fast: { a: { source: 's://a', dtype: 'number' as const, shape: [] } },
        slow: { b: { source: 's://b', dtype: 'number' as const, shape: [] } },
      }),
      collect: () => [...rows(2, 'a'), ...rows(1, 'b')],
    };
    const forgotten = { ...flyer, name: 'forgotten', describeCollect: () => ({ f: { source: 's://f', dtype: 'number' as const, shape: [] } }), collect: () => rows(2, 'f') };
    const seen: Record<string, unknown> = {};
    await re.run(function* () {
      seen['kickNoRun'] = yield* attempt({ command: 'kickoff', obj: flyer });
      yield { command: 'open_run' };
      seen['prep'] = yield { command: 'prepare', obj: flyer, value: { n: 3 }, group: 'p' };
      yield { command: 'wait', group: 'p' };
      yield { command: 'kickoff', obj: flyer, group: 'k' };
      yield { command: 'wait', group: 'k' };
      yield { command: 'complete', obj: flyer, group: 'c' };
      yield { command: 'wait', group: 'c' };
      seen['payload'] = yield { command: 'collect', obj: flyer, returnPayload: true };
      yield { command: 'kickoff', obj: multi };
      yield { command: 'collect', obj: multi, stream: true };
      yield { command: 'kickoff', obj: forgotten };
      seen['noCollect'] = yield* attempt({ command: 'collect', obj: { name: 'nc' } as never });
      seen['noKick'] = yield* attempt({ command: 'kickoff', obj: { name: 'nk' } as never });
    });
    t.type(errOf(seen['kickNoRun'] as Attempt), InvalidStateError);
    t.same(flyer.prepared, { n: 3 });
    t.type(seen['prep'], Status);
    t.equal((seen['payload'] as unknown[]).length, 3);
    t.match((errOf(seen['noCollect'] as Attempt) as Error).message, /nc does not support 'describeCollect'/);
    t.match((errOf(seen['noKick'] as Attempt) as Error).message, /nk does not support 'kickoff'/);
    const descs = rec.of('descriptor');
    t.same(descs.map((d) => d.name), ['fly', 'fast', 'slow', 'forgotten']);
    const evs = rec.of('event');
    t.same(evs.filter((e) => e.descriptor === descs[0].uid).map((e) => e.data.fly_x), [0, 1, 2]);
    const pages = rec.of('event_page');
    t.same(pages.map((p) => [descs.find((d) => d.uid === p.descriptor).name, p.seq_num]), [['fast', [1, 2]], ['slow', [1]]]);
    t.same(evs.filter((e) => e.descriptor === descs[3].uid).map((e) => e.data.f), [0, 1], 'the forgotten flyer was collected at cleanup');
    t.equal(rec.names().at(-1), 'stop');
    t.same(rec.of('stop')[0].num_events, { fly: 3, fast: 2, slow: 1, forgotten: 2 });
  });
});

t.test('collect of asset documents and read of a device with collectAssetDocs', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    let frames = 0;
    const area = {
      name: 'area',
      read: () => ({ area_sum: { value: 7, timestamp: now() } }),
      describe: () => ({ area_sum: { source: 'sim://area/sum', dtype: 'number' as const, shape: [] } }),
      trigger: () => Status.finished<unknown>(),
      *collectAssetDocs(): Generator<[string, Record<string, unknown>]> {
        if (frames === 0) yield ['stream_resource', { uid: 'sr1', data_key: 'area_img', mimetype: 'application/x-hdf5', uri: 'file://localhost/tmp/a.h5', parameters: { dataset: '/img' } }];
        frames++;
        yield ['stream_datum', { uid: `sr1/${frames}`, stream_resource: 'sr1', indices: { start: frames - 1, stop: frames } }];
      },
    };
    const writer = {
      name: 'writer',
      kickoff: () => Status.finished<unknown>(),
      complete: () => Status.finished<unknown>(),
      describeCollect: () => ({ w_img: { source: 'sim://w', dtype: 'array' as const, shape: [10, 10], external: 'STREAM:' } }),
      getIndex: () => 5,
      collectAssetDocs: (index?: number): Array<[string, Record<string, unknown>]> => [
        ['stream_resource', { uid: 'srw', data_key: 'w_img', mimetype: 'application/x-hdf5', uri: 'file://localhost/tmp/w.h5', parameters: {} }],
        ['stream_datum', { uid: 'srw/0', stream_resource: 'srw', indices: { start: 0, stop: index } }],
      ],
    };
    const legacy = {
      name: 'legacy',
      read: () => ({ legacy_img: { value: 'res1/0', timestamp: now() } }),
      describe: () => ({ legacy_img: { source: 'sim://legacy', dtype: 'array' as const, shape: [4, 4], external: 'FILESTORE:' } }),
      collectAssetDocs: (): Array<[string, Record<string, unknown>]> => [
        ['resource', { uid: 'res1', spec: 'NPY_SEQ', root: '/tmp', resource_path: 'legacy', resource_kwargs: {}, path_semantics: 'posix' }],
        ['datum', { datum_id: 'res1/0', resource: 'res1', datum_kwargs: { index: 0 } }],
      ],
    };
    await re.run(function* () {
      yield { command: 'open_run' };
      for (let i = 0; i < 2; i++) {
        yield { command: 'create' };
        yield { command: 'read', obj: area };
        yield { command: 'save' };
      }
      yield { command: 'kickoff', obj: writer };
      yield { command: 'collect', obj: writer, name: 'wstream' };
      yield { command: 'create', name: 'legacy' };
      yield { command: 'read', obj: legacy };
      yield { command: 'save' };
      yield { command: 'close_run' };
    });
    t.same(rec.names(), [
      'start', 'descriptor', 'stream_resource', 'stream_datum', 'event', 'stream_datum', 'event', 'descriptor', 'stream_resource', 'stream_datum',
      'descriptor', 'resource', 'datum', 'event', 'stop',
    ], 'asset documents come before the event that refers to them');
    const legacyEvent = rec.of('event').at(-1);
    t.same(legacyEvent.filled, { legacy_img: false }, 'externally stored keys are marked unfilled');
    t.equal(rec.of('resource')[0].run_start, rec.of('start')[0].uid);
    const [primary, w] = rec.of('descriptor');
    const sd = rec.of('stream_datum');
    t.same(sd.map((d) => [d.descriptor === primary.uid, d.seq_nums]), [[true, { start: 1, stop: 2 }], [true, { start: 2, stop: 3 }], [false, { start: 1, stop: 6 }]]);
    t.equal(sd[2].descriptor, w.uid);
    t.equal(rec.of('stream_resource')[0].run_start, rec.of('start')[0].uid, 'run_start filled in');
    t.same(rec.of('stop')[0].num_events, { primary: 2, wstream: 5, legacy: 1 });
  });
});

t.test('monitor and unmonitor: events on a stream named <device>_monitor (or the given name), as bluesky', async (t) => {
  await withEngine(t, {}, async ({ re, rec }) => {
    const temp = makeSignal('temp', 20);
    const press = makeSignal('press', 1);
    const seen: Record<string, unknown> = {};
    await re.run(function* () {
      seen['noRun'] = yield* attempt({ command: 'monitor', obj: temp });
      yield { command: 'open_run' };
      yield { command: 'monitor', obj: temp };
      yield { command: 'monitor', obj: press, name: 'pressure' };
      seen['twice'] = yield* attempt({ command: 'monitor', obj: temp });
      temp.put(21);
      press.put(2);
      temp.put(22);
      yield { command: 'unmonitor', obj: temp };
      temp.put(99);
      seen['unmonAgain'] = yield* attempt({ command: 'unmonitor', obj: temp });
      seen['notSub'] = yield* attempt({ command: 'monitor', obj: makeDet('d') as never });
      yield { command: 'close_run' };
    });
    t.type(errOf(seen['noRun'] as Attempt), InvalidStateError);
    t.type(errOf(seen['twice'] as Attempt), InvalidStateError);
    t.type(errOf(seen['unmonAgain'] as Attempt), InvalidStateError);
    t.type(errOf(seen['notSub'] as Attempt), UnsupportedError);
    const [dt, dp] = rec.of('descriptor');
    t.same([dt.name, dp.name], ['temp_monitor', 'pressure']);
    const evs = rec.of('event');
    t.same(evs.filter((e) => e.descriptor === dt.uid).map((e) => [e.seq_num, e.data.temp]), [[1, 20], [2, 21], [3, 22]]);
    t.same(evs.filter((e) => e.descriptor === dp.uid).map((e) => e.data.press), [1, 2]);
    t.equal(temp.subs.size + press.subs.size, 0, 'every subscription removed');
  });
});

t.test('subscribe and unsubscribe messages: plan-scoped callbacks, removed when the plan ends', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const got: string[] = [];
    const d = makeDet('d');
    const cb = (name: string) => got.push(name);
    const seen: unknown[] = [];
    await re.run(function* () {
      const token = yield { command: 'subscribe', name: 'event', callback: cb };
      seen.push(token);
      yield { command: 'open_run' };
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      seen.push(yield { command: 'unsubscribe', token: token as number });
      yield { command: 'create' };
      yield { command: 'read', obj: d };
      yield { command: 'save' };
      yield { command: 'subscribe', name: 'all', callback: cb };
      yield { command: 'close_run' };
    });
    t.type(seen[0], 'number');
    t.equal(seen[1], true);
    t.same(got, ['event', 'stop'], 'one event while subscribed, then the stop via the second subscription');
    await re.run(function* () {
      yield { command: 'open_run' };
      yield { command: 'close_run' };
    });
    t.same(got, ['event', 'stop'], 'plan subscriptions ended with their plan');
  });
});

t.test('unknown commands and non-messages are thrown into the plan', async (t) => {
  await withEngine(t, {}, async ({ re }) => {
    const seen: Attempt[] = [];
    await re.run(function* () {
      seen.push(yield* attempt({ command: 'beep' } as unknown as Msg));
      seen.push(yield* attempt(42 as unknown as Msg));
    });
    t.match((errOf(seen[0]!) as Error).message, /command: is not a registered command/);
    t.type(errOf(seen[1]!), InvalidInputError);
    t.ok(re.commands.includes('wait_for_actions') && re.commands.includes('open_run'));
    t.notOk(re.commands.some((c) => c.startsWith('__')), 'internal commands are not listed');
    t.equal(re.commands.length, 36, 'every built-in command of messages.ts');
  });
});
