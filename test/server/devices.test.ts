/**
 * Device routes over real loopback sockets with a rig of wire simulators: list, describe, read,
 * set (202, then the outcome on /ws/status), stop; every bad request gets a 4xx with a typed
 * body and nothing reaches the device.
 */
import t from 'tap';
import { api, listen, served, until } from './helpers.js';

t.setTimeout(120_000);

t.test('list, describe and read the rig', async (t) => {
  const { server } = await served(t);
  const list = await api(server, 'GET', '/api/devices');
  t.equal(list.status, 200);
  t.same(list.body.devices.map((d: { name: string }) => d.name), ['stage', 'mfc', 'pump']);
  t.ok(list.body.devices.every((d: { simulated: boolean }) => d.simulated));
  const desc = await api(server, 'GET', '/api/devices/stage');
  t.equal(desc.status, 200);
  t.equal(desc.body.family, 'galil');
  t.match(desc.body.parts.find((p: { path: string }) => p.path === 'A'), { kind: 'device', movable: true, key: 'stage-A' });
  t.match(desc.body.parts.find((p: { path: string }) => p.path === 'A.velocity'), { kind: 'rw', movable: false });
  t.equal(desc.body.dataKeys['stage-A'].units, 'mm');
  const read = await api(server, 'GET', '/api/devices/stage/read?path=A.velocity');
  t.equal(read.status, 200);
  t.equal(read.body.readings['stage-A-velocity'].value, 20, 'the axis speed from the rig file (20 mm/s)');
  const whole = await api(server, 'GET', '/api/devices/mfc/read');
  t.equal(whole.status, 200);
  t.type(whole.body.readings['mfc'].value, 'number');
});

t.test('set moves the axis: 202 with an id, progress and completion on /ws/status', async (t) => {
  const { server } = await served(t);
  const status = await listen(t, server, '/ws/status');
  const docs = await listen(t, server, '/ws/documents');
  const res = await api(server, 'POST', '/api/devices/stage/set', { path: 'A', value: 3 });
  t.equal(res.status, 202);
  t.match(res.body, { id: /^set-\d+$/, device: 'stage', path: 'A' });
  const done = await status.waitFor((m) => m.type === 'set' && m.id === res.body.id && m.state !== 'running', 20_000, 'set completion');
  t.equal(done.state, 'finished');
  const running = status.messages.filter((m) => m.id === res.body.id && m.state === 'running');
  t.ok(running.length >= 1, 'the start (and progress) came first');
  const rec = await api(server, 'GET', `/api/sets/${res.body.id}`);
  t.equal(rec.body.state, 'finished');
  // The set is recorded as a run: start, the readback as one event, stop.
  await docs.waitFor((m) => m.name === 'stop' && m.doc.run_start === rec.body.runUid, 15_000, 'set run stop');
  const run = docs.messages.filter((m) => m.doc.uid === rec.body.runUid || m.doc.run_start === rec.body.runUid || (m.name === 'event' && docs.messages.some((d) => d.name === 'descriptor' && d.doc.uid === m.doc.descriptor && d.doc.run_start === rec.body.runUid)));
  t.same(run.map((m) => m.name), ['start', 'descriptor', 'event', 'stop']);
  t.match(run[0].doc, { plan_name: 'set', device: 'stage', path: 'A', value: 3, set_id: res.body.id });
  t.ok(Math.abs(run[2].doc.data['stage-A'] - 3) < 0.01, 'the event holds the readback');
  t.equal(run[3].doc.exit_status, 'success');
  const read = await api(server, 'GET', '/api/devices/stage/read?path=A');
  t.ok(Math.abs(read.body.readings['stage-A'].value - 3) < 0.01, `at 3 mm (${read.body.readings['stage-A'].value})`);
  const sp = await api(server, 'POST', '/api/devices/stage/set', { path: 'A.velocity', value: 15 });
  t.equal(sp.status, 202);
  await until(async () => (await api(server, 'GET', `/api/sets/${sp.body.id}`)).body.state === 'finished', 15_000, 'velocity write');
  t.equal((await api(server, 'GET', '/api/devices/stage/read?path=A.velocity')).body.readings['stage-A-velocity'].value, 15);
});

t.test('bad requests get 4xx with a typed body, never a 500 or a stack', async (t) => {
  const { server } = await served(t);
  const cases: Array<[string, string, string, unknown, number, string, RegExp?]> = [
    ['unknown device', 'GET', '/api/devices/nope', undefined, 404, 'NOT_FOUND', /have stage, mfc, pump/],
    ['unknown device read', 'GET', '/api/devices/nope/read', undefined, 404, 'NOT_FOUND'],
    ['unknown path', 'GET', '/api/devices/stage/read?path=Z.nothing', undefined, 400, 'INVALID_INPUT', /no such signal/],
    ['unknown query key', 'GET', '/api/devices/stage/read?pth=A', undefined, 400, 'VALIDATION'],
    ['unknown route', 'GET', '/api/nothing', undefined, 404, 'NOT_FOUND'],
    ['out of range', 'POST', '/api/devices/stage/set', { path: 'A', value: 100 }, 422, 'LIMITS', /outside the limits \[-50 mm, 50 mm\]/],
    ['wrong type for a move', 'POST', '/api/devices/stage/set', { path: 'A', value: 'far' }, 400, 'INVALID_INPUT', /expected a finite number/],
    ['wrong type for a signal', 'POST', '/api/devices/stage/set', { path: 'A.velocity', value: true }, 400, 'INVALID_INPUT'],
    ['read-only part', 'POST', '/api/devices/stage/set', { path: 'A.moving', value: 1 }, 400, 'INVALID_INPUT', /read-only/],
    ['missing value', 'POST', '/api/devices/stage/set', { path: 'A' }, 400, 'INVALID_INPUT', /needs a value/],
    ['value of an object type', 'POST', '/api/devices/stage/set', { path: 'A', value: { x: 1 } }, 400, 'VALIDATION'],
    ['extra field', 'POST', '/api/devices/stage/set', { path: 'A', value: 1, shell: 'rm -rf /' }, 400, 'VALIDATION'],
    ['malformed JSON', 'POST', '/api/devices/stage/set', '{"path": "A", "value": ', 400, 'MALFORMED_JSON'],
    ['body not an object', 'POST', '/api/devices/stage/set', '[1,2]', 400, 'VALIDATION'],
    ['bad estop switch', 'POST', '/api/estop?switch=maybe', undefined, 400, 'VALIDATION'],
  ];
  for (const [label, method, path, body, status, type, msg] of cases) {
    const res = await api(server, method, path, body);
    t.equal(res.status, status, `${label}: status`);
    t.equal(res.body?.error?.type, type, `${label}: type (${res.text.slice(0, 160)})`);
    if (msg) t.match(res.body.error.message, msg, `${label}: message`);
    t.notMatch(res.text, /\n\s+at |"stack"/, `${label}: no stack trace`);
  }
  const big = await api(server, 'POST', '/api/devices/stage/set', { path: 'A', value: 1, pad: 'x'.repeat(100_000) });
  t.equal(big.status, 413);
  t.equal(big.body.error.type, 'BODY_TOO_LARGE');
  const text = await api(server, 'POST', '/api/devices/stage/set', 'value=3', { 'content-type': 'text/plain' });
  t.ok(text.status >= 400 && text.status < 500, `text/plain body refused (${text.status})`);
  // Nothing of the above moved the stage.
  const read = await api(server, 'GET', '/api/devices/stage/read?path=A');
  t.equal(read.body.readings['stage-A'].value, 0);
});

t.test('stop one device reports its confirmation', async (t) => {
  const { server } = await served(t);
  const docs = await listen(t, server, '/ws/documents');
  const res = await api(server, 'POST', '/api/devices/stage/set', { path: 'A', value: -40 });
  t.equal(res.status, 202);
  await until(async () => Math.abs((await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value) > 0.5, 15_000, 'axis moving');
  const stop = await api(server, 'POST', '/api/devices/stage/stop');
  t.equal(stop.status, 200);
  t.match(stop.body, { device: 'stage', family: 'galil', ok: true });
  t.type(stop.body.elapsedMs, 'number');
  await until(async () => (await api(server, 'GET', `/api/sets/${res.body.id}`)).body.state !== 'running', 15_000, 'set ended');
  const rec = await api(server, 'GET', `/api/sets/${res.body.id}`);
  t.equal(rec.body.state, 'failed', 'the interrupted move is reported failed');
  const stopDoc = await docs.waitFor((m) => m.name === 'stop' && m.doc.run_start === rec.body.runUid, 15_000, 'set run stop');
  t.equal(stopDoc.doc.exit_status, 'fail');
  const pos = (await api(server, 'GET', '/api/devices/stage/read?path=A')).body.readings['stage-A'].value;
  t.ok(pos > -40 + 0.5, `stopped short of the target (${pos})`);
});
