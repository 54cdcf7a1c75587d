import t from 'tap';
import { DisconnectedError, InvalidInputError } from '../../src/core/errors.js';
import { TcpStream } from '../../src/protocols/stream/tcp.js';
import { FAULT_KINDS, faultProxy, FaultInjector, FaultPipe, parseFaultSpec, withFaults } from '../../src/sim/faults.js';
import { lineServer, until } from '../protocols/helpers.js';

t.test('spec strings', async (t) => {
  t.same(parseFaultSpec('garble:0.1,delay:50'), [
    { kind: 'garble', probability: 0.1 },
    { kind: 'delay', probability: 1, ms: 50 },
  ]);
  t.same(parseFaultSpec(' drop@0.05 , silent:500@0.01,split:5@0.5,restart,duplicate:0.2@0.3 '), [
    { kind: 'drop', probability: 0.05 },
    { kind: 'silent', probability: 0.01, ms: 500 },
    { kind: 'split', probability: 0.5, ms: 5 },
    { kind: 'restart', probability: 1 },
    { kind: 'duplicate', probability: 0.3 },
  ]);
  t.same(parseFaultSpec(''), []);
  for (const bad of ['explode:0.1', 'drop:2', 'drop:x', 'delay:50@1.5', 'drop::1', 'drop=0.1']) {
    t.throws(() => parseFaultSpec(bad), InvalidInputError, bad);
  }
  t.throws(() => new FaultInjector().next('nope' as never), InvalidInputError);
});

t.test('decisions are deterministic for a seed and follow the probabilities', async (t) => {
  const run = (seed: number): string[] => {
    const f = new FaultInjector({ seed, rules: 'drop:0.2,garble:0.2' });
    return Array.from({ length: 2000 }, () => f.decide().kind);
  };
  t.same(run(7), run(7), 'same seed, same faults');
  t.not(run(7).join(), run(8).join(), 'another seed, other faults');
  const kinds = run(7);
  const drops = kinds.filter((k) => k === 'drop').length;
  const garbles = kinds.filter((k) => k === 'garble').length;
  t.ok(drops > 300 && drops < 500, `about 20% drops (${drops})`);
  t.ok(garbles > 220 && garbles < 420, `about 16% garbles after drops (${garbles})`);
  const f = new FaultInjector({ seed: 1, rules: 'drop:1' });
  f.next('pass').next('delay', 5);
  t.same([f.decide(), f.decide(), f.decide()], [{ kind: 'pass', ms: 0 }, { kind: 'delay', ms: 5 }, { kind: 'drop', ms: 0 }], 'script first');
  t.equal(f.counts.drop, 1);
});

t.test('garble flips bytes in a copy; split cuts into ordered pieces', async (t) => {
  const f = new FaultInjector({ seed: 3 });
  const input = Buffer.from('HELLO WORLD\r\n');
  for (let k = 0; k < 50; k++) {
    const g = f.garble(input);
    const diff = [...g].filter((b, i) => b !== input[i]).length;
    t.ok(diff >= 1 && diff <= 3, 'one to three bytes differ');
    const pieces = f.split(input);
    t.ok(pieces.length >= 2 && pieces.length <= 4);
    t.same(Buffer.concat(pieces), input);
  }
  t.equal(input.toString(), 'HELLO WORLD\r\n', 'input untouched');
});

t.test('FaultPipe applies every fault and keeps order', async (t) => {
  const f = new FaultInjector({ seed: 5 });
  const got: string[] = [];
  const events: string[] = [];
  const pipe = new FaultPipe(f, {
    deliver: (c) => got.push(Buffer.from(c).toString()),
    disconnect: () => events.push('disconnect'),
    restart: (ms) => events.push(`restart ${ms}`),
  });
  t.teardown(() => pipe.dispose());
  f.next('pass').next('drop').next('duplicate').next('delay', 30).next('pass').next('split', 3);
  for (const s of ['a', 'b', 'c', 'd', 'e', 'fghij']) pipe.push(Buffer.from(s));
  t.same(got, ['a', 'c', 'c'], 'delayed chunk holds back the ones after it');
  await until(() => pipe.idle);
  t.same(got.join(''), 'accdefghij');
  f.next('silent', 40);
  pipe.push(Buffer.from('lost1'));
  pipe.push(Buffer.from('lost2'));
  await new Promise((r) => setTimeout(r, 60));
  pipe.push(Buffer.from('back'));
  t.equal(got.at(-1), 'back', 'silent for a while, then back');
  t.notOk(got.includes('lost2'));
  f.next('disconnect').next('restart', 77);
  pipe.push(Buffer.from('x'));
  pipe.push(Buffer.from('y'));
  t.same(events, ['disconnect', 'restart 77']);
  t.same(Object.keys(f.counts).sort(), [...FAULT_KINDS, 'pass'].sort());
});

t.test('withFaults wraps a stream: injected disconnect and restart', async (t) => {
  const server = await lineServer((l) => `${l}\n`);
  t.teardown(() => server.close());
  const f = new FaultInjector({ seed: 1 });
  const s = withFaults(new TcpStream({ host: '127.0.0.1', port: server.port }), f);
  t.teardown(() => s.dispose());
  const got: string[] = [];
  const closes: Array<Error | undefined> = [];
  s.onData((c) => got.push(Buffer.from(c).toString()));
  s.onClose((r) => closes.push(r));
  await s.open();
  f.next('garble');
  s.write(Buffer.from('abc\r'));
  s.write(Buffer.from('def\r'));
  await until(() => got.join('').includes('def'));
  t.not(got[0], 'abc\n', 'first reply garbled');
  f.next('restart', 150);
  s.write(Buffer.from('zzz\r'));
  await until(() => closes.length === 1);
  t.type(closes[0], DisconnectedError);
  t.match(closes[0]?.message, /injected/);
  await t.rejects(s.open(), DisconnectedError, 'refuses to open while restarting');
  await until(() => s.isOpen === false);
  await new Promise((r) => setTimeout(r, 160));
  await s.open();
  s.write(Buffer.from('ok\r'));
  await until(() => got.join('').endsWith('ok\n'));
  await s.close();
  t.equal(closes.at(-1), undefined);
});

t.test('faultProxy forwards, and restart refuses connections while down', async (t) => {
  const server = await lineServer((l) => `<${l}>`);
  const f = new FaultInjector({ seed: 2 });
  const proxy = await faultProxy({ host: '127.0.0.1', port: server.port }, f);
  t.teardown(async () => {
    await proxy.close();
    await server.close();
  });
  t.match(proxy.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const s = new TcpStream({ host: '127.0.0.1', port: proxy.port });
  const got: string[] = [];
  s.onData((c) => got.push(Buffer.from(c).toString()));
  await s.open();
  s.write(Buffer.from('hi\r'));
  await until(() => got.join('') === '<hi>');
  const lost = new Promise<Error | undefined>((r) => s.onClose(r));
  proxy.restart(200);
  t.type(await lost, DisconnectedError);
  const err = await s.open().catch((e: unknown) => e);
  t.type(err, DisconnectedError);
  t.match((err as Error).message, /refused/);
  await new Promise((r) => setTimeout(r, 250));
  await s.open();
  s.write(Buffer.from('again\r'));
  await until(() => got.join('').endsWith('<again>'));
  await s.close();
});
