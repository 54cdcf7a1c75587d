import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../src/core/errors.js';
import { MemoryMdStore, mdToObject } from '../../../src/core/engine/md-store.js';
import { FileMdStore } from '../../../src/writers/md-store.js';
import { countPlan, makeDet, withEngine } from './engine-fixtures.js';

t.test('MemoryMdStore keeps keys in memory', async (t) => {
  const s = new MemoryMdStore({ a: 1 });
  s.set('b', { c: 2 });
  t.same(mdToObject(s), { a: 1, b: { c: 2 } });
  t.equal(s.delete('a'), true);
  t.equal(s.delete('a'), false);
  s.clear();
  t.same(s.keys(), []);
});

t.test('FileMdStore persists scan_id and metadata across engines (restarts)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'labrig-md-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'md.json');
  await withEngine(t, { mdStore: new FileMdStore(path), md: { operator: 'ada' } }, async ({ re }) => {
    await re.run(() => countPlan([makeDet('d')], 1));
    await re.run(() => countPlan([makeDet('d')], 1));
  });
  t.same(JSON.parse(readFileSync(path, 'utf8')), { operator: 'ada', scan_id: 2 });
  await withEngine(t, { mdStore: new FileMdStore(path) }, async ({ re, rec }) => {
    await re.run(() => countPlan([makeDet('d')], 1));
    t.equal(rec.of('start')[0].scan_id, 3, 'scan_id carries on after a restart');
    t.equal(rec.of('start')[0].operator, 'ada');
  });
  const s = new FileMdStore(path);
  t.throws(() => s.set('bad', 10n), InvalidInputError);
  t.throws(() => s.set('fn', () => 1), InvalidInputError);
  t.equal(s.delete('operator'), true);
  t.same(new FileMdStore(path).keys(), ['scan_id']);
  s.clear();
  t.same(new FileMdStore(path).keys(), []);
  t.same(readdirSync(join(dir, 'sub')), ['md.json'], 'no temporary file left');
  writeFileSync(path, '{oops');
  t.throws(() => new FileMdStore(path), InvalidInputError);
  writeFileSync(path, '[1]');
  t.throws(() => new FileMdStore(path), InvalidInputError);
});
