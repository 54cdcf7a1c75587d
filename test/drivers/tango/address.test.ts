/**
 * Tango address parsing and the TangoError stack, without a server.
 */
import t from 'tap';
import { InvalidInputError } from '../../../src/core/errors.js';
import { parseTangoAddress } from '../../../src/drivers/tango/backend.js';
import { TangoError } from '../../../src/drivers/tango/errors.js';

t.test('direct (no database) address', async (t) => {
  const a = parseTangoAddress('tango://127.0.0.1:10123/sys/tg_test/1#dbase=no');
  t.same(a, { host: '127.0.0.1', port: 10123, device: 'sys/tg_test/1', database: false, tangoName: 'tango://127.0.0.1:10123/sys/tg_test/1#dbase=no' });
});

t.test('database address, query ignored, names lower-cased', async (t) => {
  const a = parseTangoAddress('tango://db.example:10000/Sys/TG_Test/1?backend=sidecar');
  t.equal(a.database, true);
  t.equal(a.device, 'sys/tg_test/1');
  t.equal(a.tangoName, 'tango://db.example:10000/sys/tg_test/1');
});

t.test('TANGO_HOST fills a short address', async (t) => {
  const a = parseTangoAddress('tango://sys/tg_test/1', { TANGO_HOST: 'tangodb:10000,backup:10000' });
  t.equal(a.host, 'tangodb');
  t.equal(a.port, 10000);
  t.equal(parseTangoAddress('tango://sys/tg_test/1').tangoName, 'sys/tg_test/1', 'no TANGO_HOST: left to the library');
});

t.test('bad addresses are InvalidInputError naming the fault', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['http://x:1/a/b/c', /expected tango:\/\//],
    ['tango://x:1/a/b', /domain\/family\/member/],
    ['tango://x/a/b/c', /not host:port/],
    ['tango://x:70000/a/b/c', /port 70000/],
    ['tango://x:1/a/b/c#dbase=maybe', /unknown fragment/],
    ['tango://a/b/c#dbase=no', /needs the device server host:port/],
    ['tango://x:1/a/b c/d', /bad device name part/],
  ];
  for (const [text, re] of bad) {
    let caught: unknown;
    try {
      parseTangoAddress(text);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof InvalidInputError && re.test(caught.message), `${text}: ${String(caught)}`);
  }
});

t.test('TangoError keeps every level', async (t) => {
  const e = new TangoError({
    device: 'sys/tg_test/1',
    operation: 'read nope',
    levels: [
      { reason: 'API_AttrNotFound', desc: 'Attribute nope not found', origin: 'DeviceImpl::get_attribute', severity: 'ERR' },
      { reason: 'API_AttributeFailed', desc: 'Failed to read_attribute', origin: 'DeviceProxy::read_attribute', severity: 'ERR' },
    ],
  });
  t.equal(e.reason, 'API_AttrNotFound');
  t.equal(e.vendorCode, 'API_AttrNotFound');
  t.equal(e.levels.length, 2);
  t.ok(e.hasReason('API_AttributeFailed'));
  t.match(e.message, /API_AttrNotFound: Attribute nope not found \(DeviceImpl::get_attribute\) <- API_AttributeFailed/);
});
