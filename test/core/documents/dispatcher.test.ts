import t from 'tap';
import { DocumentDispatcher, composeRun } from '../../../src/core/documents/index.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import type { AnyDocument, DocumentName } from '../../../src/core/documents/index.js';

const run = composeRun();
const start = run.start;
const stop = run.composeStop();

t.test('subscribers receive all documents or only the named ones, in order', async (t) => {
  const disp = new DocumentDispatcher();
  const all: string[] = [];
  const stops: string[] = [];
  const t1 = disp.subscribe((name) => all.push(`1:${name}`));
  const t2 = disp.subscribe((name) => stops.push(name), 'stop');
  disp.subscribe((name) => all.push(`3:${name}`), 'all');
  t.not(t1, t2);
  t.ok(Number.isInteger(t1) && Number.isInteger(t2));
  disp.process('start', start);
  disp.process('stop', stop);
  t.same(all, ['1:start', '3:start', '1:stop', '3:stop']);
  t.same(stops, ['stop']);
  t.equal(disp.size, 3);
});

t.test('unsubscribe by token and unsubscribeAll', async (t) => {
  const disp = new DocumentDispatcher();
  const seen: string[] = [];
  const a = disp.subscribe(() => seen.push('a'));
  disp.subscribe(() => seen.push('b'));
  t.equal(disp.unsubscribe(a), true);
  t.equal(disp.unsubscribe(a), false, 'second unsubscribe finds nothing');
  disp.process('start', start);
  t.same(seen, ['b']);
  disp.unsubscribeAll();
  disp.process('start', start);
  t.same(seen, ['b']);
  t.equal(disp.size, 0);
});

t.test('changes during process apply from the next document', async (t) => {
  const disp = new DocumentDispatcher();
  const seen: string[] = [];
  let late: number | undefined;
  disp.subscribe((name) => {
    seen.push(`a:${name}`);
    if (late === undefined) late = disp.subscribe((n) => seen.push(`late:${n}`));
  });
  disp.process('start', start);
  disp.process('stop', stop);
  t.same(seen, ['a:start', 'a:stop', 'late:stop']);
});

t.test('by default a subscriber exception reaches the caller after all subscribers ran', async (t) => {
  const disp = new DocumentDispatcher();
  const seen: string[] = [];
  disp.subscribe(() => { throw new Error('first'); });
  disp.subscribe(() => { throw new Error('second'); });
  disp.subscribe((name) => seen.push(name));
  t.throws(() => disp.process('start', start), { message: 'first' });
  t.same(seen, ['start']);
  t.equal(disp.ignoreCallbackExceptions, false);
});

t.test('ignoreCallbackExceptions keeps exceptions from the caller and reports them', async (t) => {
  const reported: Array<[unknown, DocumentName, AnyDocument]> = [];
  const disp = new DocumentDispatcher({ ignoreCallbackExceptions: true, onCallbackError: (err, name, doc) => reported.push([err, name, doc]) });
  const seen: string[] = [];
  disp.subscribe(() => { throw new Error('boom'); });
  disp.subscribe((name) => seen.push(name));
  disp.process('stop', stop);
  t.same(seen, ['stop']);
  t.equal(reported.length, 1);
  t.match((reported[0]![0] as Error).message, 'boom');
  t.equal(reported[0]![1], 'stop');
  t.equal(reported[0]![2], stop);
});

t.test('subscribe refuses a non-function', async (t) => {
  const disp = new DocumentDispatcher();
  t.throws(() => disp.subscribe(42 as unknown as () => void), InvalidInputError);
});
