/**
 * The Tango family descriptor without a server: URIs and parameters checked by the one schema,
 * `?backend=` choices, the addon's absence detected cleanly, and the mock tier.
 */
import t from 'tap';
import { InvalidInputError, UnsupportedError } from '../../../src/core/errors.js';
import { mockFamily, resolveTarget } from '../../../src/drivers/family.js';
import { TangoSidecarBackend } from '../../../src/drivers/tango/sidecar.js';
import { addonAvailable, openTangoDevice, tangoBackendFor, tangoFamily, type TangoUriAddress } from '../../../src/drivers/tango/index.js';

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

t.test('URI and options through the one schema', async (t) => {
  const { target, options } = resolveTarget(tangoFamily, 'tango://127.0.0.1:10123/sys/tg_test/1?backend=sidecar&pollMs=250&timeoutMs=900#dbase=no', { read: ['double_scalar'] });
  const a = target.address as TangoUriAddress;
  t.equal(a.tango.tangoName, 'tango://127.0.0.1:10123/sys/tg_test/1#dbase=no');
  t.equal(a.timeoutMs, 900);
  t.same(options, { backend: 'sidecar', pollMs: 250, read: ['double_scalar'] });
  t.same(resolveTarget(tangoFamily, 'tango://127.0.0.1:1/a/b/c?backend=addon&syncReadMs=0').options, { backend: 'addon', syncReadMs: 0 }, 'syncReadMs goes with the addon');
  t.same(resolveTarget(tangoFamily, 'tango://127.0.0.1:1/a/b/c?syncReadMs=5').options, { syncReadMs: 5 }, 'and with the sidecar');
  const sc = await tangoBackendFor('sidecar', undefined, 0);
  t.same([sc.kind, (sc as TangoSidecarBackend).syncReadMs], ['sidecar', 0], 'tangoBackendFor passes syncReadMs to the sidecar');
  await sc.close();
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['tango://127.0.0.1:1/a/b/c?backend=corba#dbase=no', {}, /backend/],
    ['tango://127.0.0.1:1/a/b/c?frob=1', {}, /frob/],
    ['tango://127.0.0.1:1/a/b/c?pollMs=1', {}, /pollMs/],
    ['tango://127.0.0.1:1/a/b/c#dbase=no?backend=sidecar', {}, /parameters go before the fragment/],
    ['tango://127.0.0.1:1/a/b', {}, /domain\/family\/member/],
    ['tango://127.0.0.1:1/a/b/c?backend=sidecar&syncReadMs=60001', {}, /syncReadMs/],
    ['tango://127.0.0.1:1/a/b/c?backend=addon&syncReadMs=-1', {}, /syncReadMs/],
    ['tango://127.0.0.1:1/a/b/c?backend=addon&syncReadMs=fast', {}, /syncReadMs/],
  ];
  for (const [uri, o, re] of bad) {
    let e: unknown;
    try {
      resolveTarget(tangoFamily, uri, o);
    } catch (x) {
      e = x;
    }
    t.ok(e instanceof InvalidInputError && re.test(e.message), `${uri}: ${String(e)}`);
  }
});

t.test('backend=addon without the addon: UnsupportedError naming why; auto falls back to the sidecar', async (t) => {
  // Where the addon is built, point its loader at a file that does not exist.
  const saved = process.env['LABRIG_TANGO_ADDON'];
  process.env['LABRIG_TANGO_ADDON'] = '/nonexistent/labrig_tango.node';
  t.teardown(() => (saved === undefined ? delete process.env['LABRIG_TANGO_ADDON'] : (process.env['LABRIG_TANGO_ADDON'] = saved)));
  t.notOk(addonAvailable(), 'no addon at that path');
  const e = await caught(openTangoDevice('tango://127.0.0.1:1/a/b/c?backend=addon#dbase=no'));
  t.type(e, UnsupportedError);
  t.match(String(e), /native addon is not built/);
  const b = await tangoBackendFor('auto');
  t.equal(b.kind, 'sidecar');
  await b.close();
});

t.test('mock tier: state reads ON, nothing is started', async (t) => {
  const d = await mockFamily(tangoFamily, {}, { name: 'tg' });
  t.equal(await d.state.getValue(), 'ON');
  t.same(Object.keys(await d.read()), ['tg-state']);
  await d.close();
});
