/**
 * The operator page in a real browser (Debian's chromium, headless, driven by puppeteer-core):
 * devices with live values, procedures with their states from the SSE stream, the newest run
 * plotted live (a screenshot of the plot area has the series' points), and an e-stop that asks
 * first. The page is served by a small fastify harness that stands in for `createServer`'s
 * routes: real documents from a real RunEngine scan on /ws/documents, live values from real soft
 * signals on /ws/live, the real procedure routes and SSE stream, and an /api/estop that records
 * calls.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import websocket from '@fastify/websocket';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { RunEngine } from '../../src/core/engine/run-engine.js';
import { scan } from '../../src/core/plans/scan.js';
import { softSignalRAndSetter, softSignalRW } from '../../src/core/signal/factories.js';
import { operatorPageHtml } from '../../src/server/page.js';
import { registerProcedures } from '../../src/server/procedures/index.js';
import { SCRIPTS } from './procedures-helpers.js';
import { countColour, countNonBackground, decodePng } from './page-png.js';

const CHROMIUM = '/usr/bin/chromium';
t.setTimeout(180_000);

type Sock = { send(s: string): void; readyState: number; on(ev: 'close', f: () => void): void; on(ev: 'message', f: (d: unknown) => void): void; close(): void };

t.test('operator page HTML is self-contained', async (t) => {
  const html = operatorPageHtml({ title: 'bench <1>' });
  t.match(html, /^<!doctype html>/);
  t.match(html, '<title>bench &#60;1&#62;</title>', 'title escaped');
  t.notMatch(html, /(src|href)=["']?(https?:)?\/\//i, 'nothing loaded from another host');
  t.notMatch(html, /<script[^>]+src=/i, 'no external script');
  t.notMatch(html, /<link[^>]+stylesheet/i, 'no external stylesheet');
  t.notMatch(html, /innerHTML/, 'server text is never parsed as HTML');
  t.match(html, /connect-src 'self'/, 'CSP keeps connections on this server');
});

t.test('operator page in chromium: live values, procedures, live plot, e-stop with confirmation', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, async (t) => {
  // Devices: a soft motor and a detector that follows it (a peak at 5).
  const motor = softSignalRW(0, { name: 'motor' });
  const [det, setDet] = softSignalRAndSetter(0, { name: 'det' });
  motor.subscribeValue((x) => setDet(100 * Math.exp(-((x - 5) ** 2) / 4)));
  const signals: Record<string, typeof motor | typeof det> = { motor, det };

  const app = Fastify();
  await app.register(websocket);
  const docClients = new Set<Sock>();
  const statusClients = new Set<Sock>();
  const liveClients = new Set<Sock>();
  const estops: number[] = [];
  app.get('/', (_req, reply) => void reply.type('text/html; charset=utf-8').send(operatorPageHtml({ title: 'page bench' })));
  app.get('/api/devices', async () => ({ name: 'page-bench', devices: Object.keys(signals).map((n) => ({ name: n, family: 'soft', uri: `soft://${n}`, simulated: true })) }));
  // describe as createServer answers it: the motor's readback is a readable part; det has none listed.
  app.get<{ Params: { name: string } }>('/api/devices/:name', async (req, reply) => (req.params.name === 'motor'
    ? { name: 'motor', dataKeys: { motor: { source: 'soft://motor', dtype: 'number', shape: [] } }, parts: [{ path: 'readback', key: 'motor', kind: 'r', movable: false }] }
    : reply.code(404).send({ error: { type: 'NOT_FOUND', message: `no describe for ${req.params.name}` } })));
  const liveNames: string[] = [];
  app.get('/ws/documents', { websocket: true }, (ws: Sock) => {
    docClients.add(ws);
    ws.on('close', () => docClients.delete(ws));
  });
  app.get('/ws/status', { websocket: true }, (ws: Sock) => {
    statusClients.add(ws);
    ws.on('close', () => statusClients.delete(ws));
  });
  app.get<{ Querystring: { signals?: string } }>('/ws/live', { websocket: true }, (ws: Sock, req) => {
    liveClients.add(ws);
    const names = (req.query.signals ?? '').split(',');
    liveNames.push(...names);
    const offs = names.map((n) => ({ n, dev: n.split(':')[0]!, path: n.split(':')[1] })).filter(({ dev }) => signals[dev]).map(({ n, dev, path }) => signals[dev]!.subscribe((readings) => {
      for (const [key, r] of Object.entries(readings)) if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'live', signal: n, device: dev, path: path ?? '', key, value: r.value, timestamp: r.timestamp }));
    }));
    ws.on('close', () => {
      liveClients.delete(ws);
      offs.forEach((f) => f());
    });
  });
  app.post('/api/estop', async () => {
    estops.push(Date.now());
    const out = { estop: true, elapsedMs: 1.5, ok: true, results: {}, actions: [] };
    for (const c of statusClients) c.send(JSON.stringify({ type: 'estop', ...out }));
    return out;
  });
  const procs = registerProcedures(app, { scriptsDir: SCRIPTS });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const re = new RunEngine();
  re.subscribe((name, doc) => {
    const text = JSON.stringify({ name, doc });
    for (const c of docClients) c.send(text);
  });

  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    timeout: 60_000,
    protocolTimeout: 60_000,
  });
  t.teardown(() => browser.close());
  const page: Page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  const external: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith(base.replace('http', 'ws')) && !r.url().startsWith('data:')) {
      external.push(r.url());
      void r.abort();
    } else void r.continue();
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.setViewport({ width: 1200, height: 800, deviceScaleFactor: 1 });
  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });

  // Devices with live values.
  await page.waitForFunction("document.querySelectorAll('#devices tbody tr').length === 2");
  await page.waitForFunction("document.querySelector('#device-motor td.value')?.textContent === '0'");
  // A set, reported on /ws/status the way createServer reports one (SetRecord), while it runs.
  const setRecord = { type: 'set', id: 'set-1', device: 'motor', path: '', value: 2.5, startedAt: Date.now() };
  const status = (m: unknown): void => statusClients.forEach((c) => c.send(JSON.stringify(m)));
  const until = Date.now() + 30_000;
  while (statusClients.size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  status({ ...setRecord, state: 'running' });
  await page.waitForFunction("document.querySelector('#actions-set-1 td:last-child')?.textContent === 'running'");
  await motor.set(2.5);
  status({ ...setRecord, state: 'finished', endedAt: Date.now() });
  await page.waitForFunction("document.querySelector('#device-motor td.value')?.textContent === '2.5'");
  await page.waitForFunction("document.querySelector('#actions-set-1 td:last-child')?.textContent === 'finished'");
  t.match(await page.$eval('#actions-set-1', (e) => e.textContent), 'set motor = 2.5');
  t.equal(await page.$eval('#rig-name', (e) => e.textContent), '(page-bench)');
  t.same(liveNames, ['motor:readback', 'det'], 'live signals: a described readable part, else the device');
  // The plot is empty before any run.
  const plotBox = async (): Promise<{ png: Uint8Array; w: number; h: number }> => {
    const el = (await page.$('#plot'))!;
    const box = (await el.boundingBox())!;
    return { png: await el.screenshot({ type: 'png' }), w: Math.round(box.width), h: Math.round(box.height) };
  };
  const inner = (w: number, h: number) => ({ x0: 60 + 3, y0: 12 + 3, x1: w - 16 - 3, y1: h - 36 - 3 });
  const before = await plotBox();
  const imgBefore = decodePng(before.png);
  t.equal(countNonBackground(imgBefore, [255, 255, 255], 8, inner(imgBefore.width, imgBefore.height)), 0, 'plot area blank before a run');

  // A real scan; its documents reach the page over /ws/documents.
  const deadline = Date.now() + 30_000;
  while (docClients.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(docClients.size, 1, 'the page subscribed to /ws/documents');
  const res = await re.run(scan([det], motor, 0, 10, 11));
  t.equal(res.exitStatus, 'success');
  await page.waitForFunction("document.getElementById('plot').dataset.points === '11'");
  await page.waitForFunction("/\\(success\\)/.test(document.getElementById('run-title').textContent)");
  t.equal(await page.$eval('#plot', (e) => e.getAttribute('data-x')), 'motor', 'detector plotted against the motor');
  const after = await plotBox();
  const img = decodePng(after.png);
  const area = inner(img.width, img.height);
  const blue = countColour(img, [0x1f, 0x77, 0xb4], 40, area);
  t.ok(blue > 11 * 15, `the series' colour covers the points (${blue} px)`);
  t.ok(countNonBackground(img, [255, 255, 255], 8, area) >= blue, 'non-background pixels in the plot area');
  // The peak is drawn high: the topmost blue pixel lies in the upper tenth of the plot area, at mid x.
  let top = { x: -1, y: img.height };
  for (let y = area.y0; y < area.y1 && top.x < 0; y++) for (let x = area.x0; x < area.x1; x++) {
    const o = (y * img.width + x) * 4;
    if (Math.abs(img.data[o]! - 0x1f) < 40 && Math.abs(img.data[o + 1]! - 0x77) < 40 && Math.abs(img.data[o + 2]! - 0xb4) < 40) {
      top = { x, y };
      break;
    }
  }
  t.ok(top.y < area.y0 + (area.y1 - area.y0) * 0.1, `peak near the top (y ${top.y})`);
  t.ok(Math.abs(top.x - (area.x0 + area.x1) / 2) < (area.x1 - area.x0) * 0.1, `peak at mid x (x ${top.x})`);

  // Procedures: a real procedure's states arrive over the SSE stream.
  const created = await fetch(`${base}/api/v1.0/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ script_uri: 'file://hello.ts', script_args: { init: { args: ['page'] } } }) });
  t.equal(created.status, 201);
  const id = ((await created.json()) as { procedure: { id: number } }).procedure.id;
  await page.waitForFunction(`document.querySelector('#procedures-${id} td:last-child')?.textContent === 'READY'`);
  await fetch(`${base}/api/v1.0/procedures/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'RUNNING', script_args: { run: { args: ['hi'] } } }) });
  await page.waitForFunction(`document.querySelector('#procedures-${id} td:last-child')?.textContent === 'COMPLETE'`);
  t.match(await page.$eval(`#procedures-${id}`, (e) => e.textContent), 'file://hello.ts');
  t.match(await page.$eval('#log', (e) => e.textContent), /hi page/, 'script messages shown');
  t.ok(procs.manager.list().length === 1);

  // E-stop asks first: dismissing sends nothing, accepting posts /api/estop once.
  const dialogs: string[] = [];
  let accept = false;
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void (accept ? d.accept() : d.dismiss());
  });
  await page.click('#estop');
  accept = true;
  await page.click('#estop');
  await page.waitForFunction("/E-STOPPED/.test(document.getElementById('estop-state').textContent)");
  t.equal(dialogs.length, 2, 'each click asked for confirmation');
  t.match(dialogs[0], /E-STOP/);
  t.equal(estops.length, 1, 'only the confirmed click reached the server');

  // LABRIG_PAGE_SCREENSHOT=file.png keeps a picture of the whole page for a human to look at.
  const shot = process.env['LABRIG_PAGE_SCREENSHOT'];
  if (shot) await page.screenshot({ path: shot as `${string}.png`, fullPage: true });

  t.same(external, [], 'the page requested nothing from another host');
  t.same(errors, [], 'no script errors');
});
