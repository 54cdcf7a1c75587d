/**
 * The sequencer: every node type, flag and error policy, pause/resume where it stopped, abort,
 * loop-index isolation between parallel loops, Observation Block validation errors, and the DOT
 * drawing compared as a graph (nodes and edges), not as bytes.
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { RunEngine } from '../../../src/core/engine/index.js';
import { count } from '../../../src/core/plans/index.js';
import { Executor, defineAction } from '../../../src/core/executor/index.js';
import {
  SequenceRunner, actionNode, builtinTemplates, defineTemplate, executorNode, loop, parallel, parseObservationBlock, planNode, sequence, toDot,
  type NodeStateChange, type SeqContext,
} from '../../../src/core/sequencer/index.js';

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick(2);
  }
}

t.test('sequence runs in order; parallel side by side; node states observable while running', async (t) => {
  const log: string[] = [];
  const step = (id: string, ms = 0) => actionNode(id, async () => { log.push(`${id}+`); await tick(ms); log.push(`${id}-`); });
  const root = sequence('root', [step('a'), parallel('p', [step('b', 20), step('c', 20)]), step('d')]);
  const r = new SequenceRunner(root);
  const seen: NodeStateChange[] = [];
  r.onNodeState((c) => seen.push(c));
  const running = r.run();
  await until(() => r.nodeState('b') === 'running');
  t.equal(r.nodeState('p'), 'running');
  t.equal(r.nodeState('d'), 'not_started', 'states are observable while it runs');
  const res = await running;
  t.equal(res.state, 'finished');
  t.same(log.slice(0, 2), ['a+', 'a-']);
  t.ok(log.indexOf('c+') < log.indexOf('b-'), 'parallel branches overlap');
  t.same(log.slice(-2), ['d+', 'd-']);
  t.same(Object.values(res.states), ['finished', 'finished', 'finished', 'finished', 'finished', 'finished']);
  t.same(seen.filter((c) => c.node === 'a').map((c) => c.state), ['running', 'finished']);
});

t.test('skip flag: the node is not run and ends skipped', async (t) => {
  const log: string[] = [];
  const r = new SequenceRunner(sequence('s', [actionNode('a', () => log.push('a'), { skip: true }), actionNode('b', () => log.push('b'))]));
  const res = await r.run();
  t.same(log, ['b']);
  t.equal(res.states['a'], 'skipped');
});

t.test('pauseBefore pauses before the node; resume runs it and goes on', async (t) => {
  const log: string[] = [];
  const r = new SequenceRunner(sequence('s', [actionNode('a', () => log.push('a')), actionNode('b', () => log.push('b'), { pauseBefore: true }), actionNode('c', () => log.push('c'))]));
  const running = r.run();
  await until(() => r.state === 'paused');
  await tick(10);
  t.same(log, ['a'], 'nothing after the pause point ran');
  t.equal(r.nodeState('b'), 'paused');
  r.resume();
  t.equal((await running).state, 'finished');
  t.same(log, ['a', 'b', 'c']);
});

t.test('pause() stops before the next node and resume() continues where it stopped', async (t) => {
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const r = new SequenceRunner(sequence('s', [actionNode('a', async () => { log.push('a'); await gate; }), actionNode('b', () => log.push('b')), actionNode('c', () => log.push('c'))]));
  const running = r.run();
  await until(() => log.includes('a'));
  r.pause();
  release();
  await until(() => r.state === 'paused');
  t.equal(r.nodeState('a'), 'finished', 'the running node finished');
  t.equal(r.nodeState('b'), 'paused');
  t.same(log, ['a']);
  r.resume();
  t.equal((await running).state, 'finished');
  t.same(log, ['a', 'b', 'c'], 'resumed at b, a did not run again');
});

t.test('error policies: abort ends the sequence failed; continue marks failed and goes on; retry N', async (t) => {
  const log: string[] = [];
  const boom = (id: string) => () => { log.push(id); throw new Error(`${id} broke`); };
  let res = await new SequenceRunner(sequence('s', [actionNode('x', boom('x')), actionNode('y', () => log.push('y'))])).run();
  t.equal(res.state, 'failed');
  t.same(log, ['x']);
  t.equal(res.states['y'], 'not_started');
  t.equal(res.states['x'], 'failed');
  t.match(res.failures, [{ node: 'x', error: { message: 'x broke' } }]);

  log.length = 0;
  res = await new SequenceRunner(sequence('s', [actionNode('x', boom('x'), { onError: 'continue' }), actionNode('y', () => log.push('y'))])).run();
  t.equal(res.state, 'failed', 'a continued failure still reports the sequence failed');
  t.same(log, ['x', 'y']);
  t.equal(res.states['x'], 'failed');
  t.equal(res.states['y'], 'finished');

  log.length = 0;
  let n = 0;
  const flaky = actionNode('f', () => { log.push('f'); if (++n < 3) throw new Error('flaky'); }, { onError: { retry: 2 } });
  const changes: NodeStateChange[] = [];
  const r = new SequenceRunner(sequence('s', [flaky]));
  r.onNodeState((c) => changes.push(c));
  res = await r.run();
  t.equal(res.state, 'finished');
  t.same(log, ['f', 'f', 'f'], 'third attempt succeeded');
  t.same(changes.filter((c) => c.node === 'f').map((c) => c.state), ['running', 'failed', 'running', 'failed', 'running', 'finished']);

  n = -100;
  log.length = 0;
  res = await new SequenceRunner(sequence('s', [actionNode('f', () => { log.push('f'); throw new Error('always'); }, { onError: { retry: 1 } })])).run();
  t.same(log, ['f', 'f']);
  t.equal(res.state, 'failed', 'retries exhausted → abort');
});

t.test('a failure with abort policy in one parallel branch aborts its sibling', async (t) => {
  const r = new SequenceRunner(parallel('p', [actionNode('slow', (ctx) => new Promise((_r, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason)))), actionNode('bad', async () => { await tick(5); throw new Error('bad'); })]));
  const res = await r.run();
  t.equal(res.state, 'failed');
  t.equal(res.states['slow'], 'aborted');
  t.equal(res.states['bad'], 'failed');
});

t.test('abort() ends running nodes aborted and starts nothing more', async (t) => {
  const log: string[] = [];
  const r = new SequenceRunner(sequence('s', [actionNode('a', (ctx) => new Promise((res) => { log.push('a'); ctx.signal.addEventListener('abort', () => res(undefined)); })), actionNode('b', () => log.push('b'))]));
  const running = r.run();
  await until(() => log.includes('a'));
  r.abort();
  const res = await running;
  t.equal(res.state, 'aborted');
  t.equal(res.states['a'], 'aborted');
  t.equal(res.states['b'], 'not_started');
  t.same(log, ['a']);
});

t.test('abort while paused ends the sequence aborted', async (t) => {
  const r = new SequenceRunner(sequence('s', [actionNode('a', () => undefined, { pauseBefore: true })]));
  const running = r.run();
  await until(() => r.state === 'paused');
  r.abort();
  t.equal((await running).state, 'aborted');
});

t.test('loops: times, condition with index; two loops in parallel keep their own index', async (t) => {
  const seen: Record<string, Array<[number | undefined, number | undefined]>> = { L1: [], L2: [] };
  const body = (id: string, loopId: string) => actionNode(id, async (ctx: SeqContext) => {
    const before = ctx.index;
    await tick(Math.random() * 3);
    seen[loopId]!.push([before, ctx.indices[loopId]]);
    t.equal(ctx.index, before, 'the index did not change under the node while the other loop ran');
  });
  const root = parallel('p', [
    loop('L1', [body('b1', 'L1')], { times: 5 }),
    loop('L2', [body('b2', 'L2')], (ctx) => ctx.index! < 3),
  ]);
  const res = await new SequenceRunner(root).run();
  t.equal(res.state, 'finished');
  t.same(seen['L1'], [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]);
  t.same(seen['L2'], [[0, 0], [1, 1], [2, 2]]);
  const nested: string[] = [];
  await new SequenceRunner(loop('outer', [loop('inner', [actionNode('x', (c) => nested.push(`${c.indices['outer']}.${c.indices['inner']}`))], { times: 2 })], { times: 2 })).run();
  t.same(nested, ['0.0', '0.1', '1.0', '1.1']);
  const runaway = await new SequenceRunner(loop('r', [actionNode('y', () => undefined)], () => true, { maxIterations: 10 })).run();
  t.equal(runaway.state, 'failed', 'a loop is bounded');
});

t.test('action nodes: a plan on the engine and an executor action', async (t) => {
  const engine = new RunEngine();
  const det = { name: 'det', read: () => ({ det: { value: 1, timestamp: 0 } }), describe: () => ({ det: { source: 'x', dtype: 'number' as const, shape: [] } }) };
  const docs: string[] = [];
  engine.subscribe((n) => docs.push(n));
  const ex = new Executor().register(defineAction({ name: 'mark', params: { v: { type: 'number' } }, exec: (ctx) => ctx.emit({ v: ctx.params.v }) }))
    .register(defineAction({ name: 'fail', params: {}, exec: () => { throw new Error('hardware says no'); } }));
  const got: unknown[] = [];
  ex.onData((_r, d) => got.push(d));
  const res = await new SequenceRunner(sequence('s', [planNode('scan', () => count([det], 2)), loop('l', [executorNode('m', 'mark', (ctx) => ({ v: ctx.index }))], { times: 2 })]), { engine, executor: ex }).run();
  t.equal(res.state, 'finished');
  t.same(docs, ['start', 'descriptor', 'event', 'event', 'stop']);
  t.same(got, [{ v: 0 }, { v: 1 }]);
  const bad = await new SequenceRunner(executorNode('f', 'fail'), { executor: ex }).run();
  t.equal(bad.state, 'failed');
  t.match(bad.failures[0]!.error.message, /errored: hardware says no/);
  t.throws(() => new SequenceRunner(executorNode('m', 'mark', { v: 'x' }), { executor: ex }), { message: /node 'm' action 'mark' parameter 'v': rule type/ }, 'fixed params validated before running');
  t.throws(() => new SequenceRunner(executorNode('m', 'nope'), { executor: ex }), /unknown action/);
  t.throws(() => new SequenceRunner(planNode('p', () => count([det]))), /no run engine/);
  t.throws(() => new SequenceRunner(sequence('s', [actionNode('a', () => 0), actionNode('a', () => 0)])), /used twice/);
});

t.test('templates: typed parameters validated, error names template, parameter and rule', async (t) => {
  const log: unknown[] = [];
  const tpl = defineTemplate({
    name: 'expose', params: { seconds: { type: 'number', min: 0, max: 60 }, filter: { type: 'string', choices: ['r', 'g'], default: 'r' } },
    build: (p, id) => [actionNode(`${id}.go`, (ctx) => log.push([ctx.params['seconds'], ctx.params['filter']]))],
  });
  const res = await new SequenceRunner(tpl.instantiate('e1', { seconds: 5 })).run();
  t.equal(res.state, 'finished');
  t.same(log, [[5, 'r']], 'the nodes see the template parameters');
  t.throws(() => tpl.instantiate('e2', { seconds: 61 }), { message: /template 'expose' parameter 'seconds': rule max/ });
  t.throws(() => tpl.instantiate('e2', { seconds: 1, filter: 'u' }), { message: /template 'expose' parameter 'filter': rule choices/ });
  t.throws(() => tpl.instantiate('e2', {}), { message: /parameter 'seconds': rule required/ });
});

t.test('observation blocks: parsed and validated before anything runs', async (t) => {
  const lib = builtinTemplates();
  const ob = parseObservationBlock({
    name: 'demo',
    templates: [
      { template: 'home_axis', params: { device: 'stage', axis: 'A' } },
      { parallel: [{ template: 'set_flow', params: { device: 'mfc', setpoint: 10 } }, { template: 'dispense', params: { device: 'pump', volume: 0.1 }, onError: 'retry 2' }] },
      { loop: { times: 3, body: [{ template: 'measure', params: { devices: ['mfc'] } }] }, pauseBefore: true },
    ],
  }, lib);
  t.equal(ob.name, 'demo');
  t.same(ob.root.children.map((c) => c.id), ['t1_home_axis', 't2_parallel', 't3_loop']);
  t.same(ob.root.children[2]!.options, { pauseBefore: true });
  const bad = (templates: unknown[]): Error => { try { parseObservationBlock({ name: 'x', templates }, lib); } catch (e) { return e as Error; } throw new Error('no error'); };
  let e = bad([{ template: 'set_flow', params: { device: 'mfc', setpoint: -1 } }]);
  t.type(e, InvalidInputError);
  t.match(e.message, /templates\[0\]: template 'set_flow' parameter 'setpoint': rule min: must be >= 0/);
  e = bad([{ parallel: [{ template: 'dispense', params: { device: 'pump' } }] }]);
  t.match(e.message, /templates\[0\]\.parallel\[0\]: template 'dispense' parameter 'volume': rule required/);
  t.match(bad([{ template: 'warp_drive' }]).message, /templates\[0\] template: rule known: no such template/);
  t.match(bad([{ template: 'set_flow', params: { device: 'mfc', setpoint: 1, gas: 'N2' } }]).message, /parameter 'gas': rule known/);
  t.match(bad([{ template: 'set_flow', params: { device: 'mfc', setpoint: 1 }, onError: 'sometimes' }]).message, /onError: rule policy/);
  t.match(bad([{ loop: { times: -1, body: [] } }]).message, /loop times/);
});

/** Nodes and edges of a DOT text (enough of the grammar for toDot's output). */
function graphOf(dot: string): { nodes: Set<string>; edges: Set<string> } {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  for (const m of dot.matchAll(/^\s*"((?:[^"\\]|\\.)*)"\s*->\s*"((?:[^"\\]|\\.)*)"/gm)) edges.add(`${m[1]} -> ${m[2]}`);
  for (const m of dot.matchAll(/^\s*"((?:[^"\\]|\\.)*)"\s*\[/gm)) nodes.add(m[1]!);
  return { nodes, edges };
}

t.test('DOT drawing: start and end per container; compared with the expected graph', async (t) => {
  const root = sequence('s', [actionNode('a', () => 0), parallel('p', [actionNode('b', () => 0), actionNode('c', () => 0)]), loop('l', [actionNode('d', () => 0)], { times: 2 })]);
  const dot = toDot(root, 'demo');
  t.match(dot, /^digraph "demo" \{/);
  const g = graphOf(dot);
  t.same([...g.nodes].sort(), ['a', 'b', 'c', 'd', 'l:condition', 'l:end', 'l:start', 'p:end', 'p:start', 's:end', 's:start'].sort());
  t.same([...g.edges].sort(), [
    's:start -> a', 'a -> p:start', 'p:start -> b', 'p:start -> c', 'b -> p:end', 'c -> p:end', 'p:end -> l:start',
    'l:start -> l:condition', 'l:condition -> d', 'd -> l:condition', 'l:condition -> l:end', 'l:end -> s:end',
  ].sort());
  t.equal((dot.match(/subgraph "cluster_/g) ?? []).length, 3, 'one cluster per container');
});

t.test('every wait is bounded: a hung action node times out, a pause longer than pauseTimeoutMs aborts', async (t) => {
  const hung = await new SequenceRunner(sequence('s', [
    actionNode('ok', () => tick(5), { timeoutMs: 60_000 }),
    actionNode('hang', () => new Promise(() => undefined), { timeoutMs: 40, onError: 'continue' }),
    actionNode('after', () => undefined),
  ])).run();
  t.equal(hung.states['hang'], 'failed');
  t.equal((hung.failures[0]!.error as { code?: string }).code, 'TIMEOUT');
  t.equal(hung.states['after'], 'finished', 'the sequence went on (policy continue)');
  const paused = await new SequenceRunner(sequence('s', [actionNode('a', () => undefined, { pauseBefore: true })]), { pauseTimeoutMs: 30 }).run();
  t.equal(paused.state, 'aborted');
  t.equal(paused.states['a'], 'aborted');
});
