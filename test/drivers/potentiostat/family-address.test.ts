// The potentiostat families' one-scheme descriptors: addresses checked the same way for both
// (instrument name by pattern, no path, the one optional parameter), before anything is loaded.
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { biologicFamily } from '../../../src/drivers/biologic/family.js';
import { gamryFamily } from '../../../src/drivers/gamry/family.js';
import { resolveTarget } from '../../../src/drivers/family.js';

t.test('biologic: instrument from the authority, lib from the query, family name from the scheme', async (t) => {
  t.equal(biologicFamily.name, 'biologic');
  t.same(biologicFamily.schemes.map((s) => s.scheme), ['biologic']);
  const { target, options } = resolveTarget(biologicFamily, 'biologic://USB0?channel=3&lib=/opt/eclib.so');
  t.match(target.address, { instrument: 'USB0', lib: '/opt/eclib.so' });
  t.equal(options.channel, 3);
  const bare = resolveTarget(biologicFamily, 'biologic://192.168.200.240').target.address;
  t.notOk('lib' in bare, 'no lib key when none is given');
});

t.test('gamry: section from the authority, binding from the query', async (t) => {
  t.equal(gamryFamily.name, 'gamry');
  t.match(resolveTarget(gamryFamily, 'gamry://IFC1010-12345?binding=inproc-7').target.address, { section: 'IFC1010-12345', binding: 'inproc-7' });
});

t.test('bad instrument names and paths are refused, naming what was wrong', async (t) => {
  const cases: Array<[typeof biologicFamily | typeof gamryFamily, string, RegExp]> = [
    [biologicFamily, 'biologic://bad_name!', /biologic instrument address.*IP address/],
    [biologicFamily, 'biologic://USB0/extra', /biologic address path.*must be empty/],
    [gamryFamily, 'gamry://-x', /gamry device section/],
    [gamryFamily, 'gamry://IFC1010-12345/extra', /gamry address path.*must be empty/],
    [gamryFamily, 'gamry://IFC1010-12345?colour=red', /colour/],
  ];
  for (const [family, uri, re] of cases) {
    const e = t.throws(() => resolveTarget(family as never, uri), uri) as unknown;
    t.ok(e instanceof InvalidInputError, `${uri}: InvalidInputError`);
    t.match((e as Error).message, re, uri);
  }
});

t.test('the mock tier names its model after the family', async (t) => {
  for (const family of [gamryFamily, biologicFamily]) {
    const d = await family.createMock!({}, { name: 'p' });
    t.equal(d.model, `${family.name} (mock)`);
  }
});
