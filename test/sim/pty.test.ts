import t from 'tap';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { DisconnectedError } from '../../src/core/errors.js';
import { SerialStream } from '../../src/protocols/stream/serial.js';
import { openPtyPair, serveOnPty, lineResponder } from '../../src/sim/pty.js';
import { fdsPointingAt, until } from '../protocols/helpers.js';

t.test('a pty pair passes every byte value unchanged both ways (raw: no echo, no CR/LF translation)', async (t) => {
  const ptmxBefore = new Set(fdsPointingAt('/dev/ptmx'));
  const pair = openPtyPair();
  const masterFds = fdsPointingAt('/dev/ptmx').filter((fd) => !ptmxBefore.has(fd));
  t.equal(masterFds.length, 1, 'one new master descriptor');
  const mine = () => fdsPointingAt(pair.devicePath).length + fdsPointingAt('/dev/ptmx').filter((fd) => masterFds.includes(fd)).length;
  t.match(pair.path, /^\/dev\/pts\/\d+$/);
  t.equal(pair.path, pair.devicePath);
  const port = new SerialStream({ path: pair.path, baudRate: 115200 });
  await port.open();
  t.ok(mine() >= 3, 'master, held slave and the client descriptor are open');
  const all = Buffer.from(Array.from({ length: 256 }, (_, k) => k));
  const atMaster: Buffer[] = [];
  const atClient: Buffer[] = [];
  pair.master.on('data', (d: Buffer) => atMaster.push(d));
  port.onData((d) => atClient.push(Buffer.from(d)));
  port.write(all);
  port.write(Buffer.from('\r\n\n\r'));
  await until(() => Buffer.concat(atMaster).length >= 260);
  t.same([...Buffer.concat(atMaster)], [...all, 13, 10, 10, 13], 'client → master exact');
  pair.master.write(all);
  pair.master.write(Buffer.from('\r\n'));
  await until(() => Buffer.concat(atClient).length >= 258);
  t.same([...Buffer.concat(atClient)], [...all, 13, 10], 'master → client exact');
  await new Promise((r) => setTimeout(r, 20));
  t.equal(Buffer.concat(atMaster).length, 260, 'no echo came back to the master');
  await port.close();
  pair.close();
  pair.close();
  // Only this pair's descriptors are counted: other handles in the process may open or close meanwhile.
  await until(() => mine() === 0, 5000, 'the pair\'s descriptors released');
  t.equal(mine(), 0, 'every descriptor of the pair closed (master, held slave, client)');
});

t.test('closing the pair hangs up the client; the link is made and removed', async (t) => {
  const link = `/tmp/labrig-pty-test-${process.pid}`;
  const pair = openPtyPair({ link });
  t.teardown(() => pair.close());
  t.ok(lstatSync(link).isSymbolicLink());
  t.equal(readlinkSync(link), pair.devicePath);
  const port = new SerialStream({ path: link });
  const closed = new Promise<Error | undefined>((r) => port.onClose(r));
  await port.open();
  pair.close();
  const why = await closed;
  t.type(why, DisconnectedError);
  t.notOk(existsSync(link), 'link removed');
  await port.close();
});

t.test('serveOnPty: a line handler behind a serial path; hang-up and restart keep the path', async (t) => {
  const server = serveOnPty({ terminators: ['\r'], onLine: (line) => (line === 'quiet' ? undefined : `${line.toUpperCase()}\r\n`) });
  const dir = dirname(server.path);
  t.teardown(() => server.close());
  const port = new SerialStream({ path: server.path, baudRate: 9600 });
  const got: string[] = [];
  const closes: Array<Error | undefined> = [];
  port.onData((d) => got.push(Buffer.from(d).toString('latin1')));
  port.onClose((r) => closes.push(r));
  await port.open();
  port.write(Buffer.from('ab'));
  port.write(Buffer.from('c\rquiet\rdef\r'));
  await until(() => got.join('') === 'ABC\r\nDEF\r\n');
  const first = server.devicePath;
  server.hangUp();
  await until(() => closes.length === 1);
  t.type(closes[0], DisconnectedError);
  t.not(server.devicePath, first, 'a new pty behind the same path');
  await port.open();
  port.write(Buffer.from('x\r'));
  await until(() => got.join('').endsWith('X\r\n'));
  const restarted = server.restart(150);
  await until(() => closes.length === 2);
  const err = await port.open().catch((e: unknown) => e);
  t.type(err, DisconnectedError, 'while the device is down its path is missing');
  t.match((err as Error).message, /no such device/);
  await restarted;
  await port.open();
  port.write(Buffer.from('y\r'));
  await until(() => got.join('').endsWith('Y\r\n'));
  await port.close();
  server.close();
  t.notOk(existsSync(dir), 'temp folder removed');
});

t.test('lineResponder buffers partial lines and answers each line', async (t) => {
  const r = lineResponder({ onLine: (l) => `<${l}>`, terminators: ['\r\n', '\n'] });
  t.equal(await r(Buffer.from('a')), undefined);
  t.equal(await r(Buffer.from('b\r\nc\nd')), '<ab><c>');
  t.equal(await r(Buffer.from('\n')), '<d>');
});
