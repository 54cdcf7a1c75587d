/**
 * Security of `labrig serve`: loopback by default; a non-loopback address without a token is
 * refused before anything listens; with a token every HTTP and websocket request needs it (401);
 * requests from another web origin and non-loopback Host names (DNS rebinding) get 403; no CORS
 * headers are ever sent.
 */
import t from 'tap';
import http from 'node:http';
import { InvalidInputError } from '../../src/core/errors.js';
import { loadRig } from '../../src/rig/index.js';
import { checkBind, createServer, isLoopback } from '../../src/server/index.js';
import { connectWs } from '../../src/server/ws.js';
import { api, listen, served } from './helpers.js';

t.setTimeout(90_000);

function raw(url: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

t.test('bind rules', async (t) => {
  t.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('127.1.2.3'));
  t.notOk(isLoopback('0.0.0.0') || isLoopback('192.168.1.5') || isLoopback('::'));
  t.equal(checkBind('127.0.0.1', undefined), undefined);
  t.throws(() => checkBind('0.0.0.0', undefined), InvalidInputError);
  t.throws(() => checkBind('::', undefined), /needs a token/);
  t.match(checkBind('0.0.0.0', 'a-long-token'), /WARNING: listening on 0\.0\.0\.0/);
  t.throws(() => checkBind('127.0.0.1', 'short'), /at least 8 characters/);
  const rig = await loadRig({ stage: { uri: 'sim:galil', axes: { A: {} } } });
  t.teardown(() => rig.close());
  await t.rejects(createServer({ rig, host: '0.0.0.0' }), InvalidInputError, 'refused before listening');
});

t.test('token: 401 without or with a wrong one, on HTTP and websockets', async (t) => {
  const token = 'test-token-123456';
  const { server } = await served(t, { token });
  const none = await api(server, 'GET', '/api/devices');
  t.equal(none.status, 401);
  t.equal(none.body.error.type, 'UNAUTHORIZED');
  t.equal((await api(server, 'GET', '/api/devices', undefined, { authorization: 'Bearer wrong-token-000000' })).status, 401);
  t.equal((await api(server, 'POST', '/api/estop', undefined, {})).status, 401, 'no e-stop without the token');
  t.equal((await api(server, 'GET', '/api/devices', undefined, { authorization: `Bearer ${token}` })).status, 200);
  t.equal((await api(server, 'GET', `/api/devices?token=${token}`)).status, 200, 'token in the query of a GET');
  t.equal((await api(server, 'POST', `/api/estop?token=${token}`)).status, 401, 'but not of a POST');
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws/status`;
  await t.rejects(connectWs(wsUrl), /server answered 401/);
  const ok = await listen(t, server, `/ws/status?token=${token}`);
  t.equal(ok.ws.readyState, 1);
  const withHeader = await listen(t, server, '/ws/documents', { authorization: `Bearer ${token}` });
  t.equal(withHeader.ws.readyState, 1);
});

t.test('other origins and rebinding host names get 403; no CORS headers', async (t) => {
  const { server } = await served(t);
  const host = new URL(server.url).host;
  const same = await raw(server.url, '/api/devices', { origin: server.url, host });
  t.equal(same.status, 200, 'same origin served');
  t.equal(same.headers['access-control-allow-origin'], undefined, 'no CORS header');
  const foreign = await raw(server.url, '/api/estop', { origin: 'http://evil.example', host }, 'POST');
  t.equal(foreign.status, 403);
  t.equal(JSON.parse(foreign.body).error.type, 'FORBIDDEN');
  const nullOrigin = await raw(server.url, '/api/devices', { origin: 'null', host });
  t.equal(nullOrigin.status, 403);
  const preflight = await raw(server.url, '/api/estop', { origin: 'http://evil.example', host, 'access-control-request-method': 'POST' }, 'OPTIONS');
  t.equal(preflight.status, 403);
  t.equal(preflight.headers['access-control-allow-origin'], undefined);
  const rebound = await raw(server.url, '/api/devices', { host: `evil.example:${server.port}` });
  t.equal(rebound.status, 403);
  t.match(JSON.parse(rebound.body).error.message, /loopback names/);
  t.equal((await raw(server.url, '/api/devices', { host: `localhost:${server.port}` })).status, 200);
  await t.rejects(connectWs(`${server.url.replace(/^http/, 'ws')}/ws/status`, { origin: 'http://evil.example' }), /server answered 403/, 'cross-site websocket refused');
});
