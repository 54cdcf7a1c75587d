/**
 * The operator page `labrig serve` shows at `/`: one self-contained HTML document (inline CSS and
 * script, no build step, nothing fetched from another host) that shows
 *
 * - the rig's devices (`GET /api/devices`) with live values (`/ws/live`: each device's read keys
 *   that are readable parts of it, from `GET /api/devices/:name`, else the device's readback);
 * - actions and device sets with their states (`/ws/status`), procedures with theirs
 *   (`GET /api/v1.0/procedures`, then the SSE stream `/api/v1.0/stream`), and the stream's
 *   newest messages;
 * - the newest run plotted live on a canvas from `/ws/documents` (`{ name, doc }` messages): the
 *   detectors against the first motor for a scan (the start document's `hints.dimensions` or
 *   `motors`), otherwise every numeric column against time since the run started;
 * - an e-stop button that asks for confirmation before `POST /api/estop`, and one that releases it
 *   (`POST /api/estop?switch=false`).
 *
 * A server with a token is opened as `/?token=...`: the page sends it as `Authorization: Bearer`
 * on fetches and as `?token=` on websocket and SSE URLs. Every text from the server is shown with
 * `textContent`, never parsed as HTML.
 * @module
 */

/** Options of {@link operatorPageHtml}. */
export interface OperatorPageOptions {
  /** Page title; default `labrig serve`. */
  title?: string;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The operator page as one HTML string (see the module notes). */
export function operatorPageHtml(options: OperatorPageOptions = {}): string {
  const title = escapeHtml(options.title ?? 'labrig serve');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #222; background: #f4f5f7; }
  body { margin: 0; }
  header { display: flex; align-items: center; gap: 1em; padding: .6em 1em; background: #1d2733; color: #fff; }
  header h1 { font-size: 1.1em; margin: 0; flex: 1; }
  #conn { font-size: .85em; opacity: .85; }
  #estop { background: #c62828; color: #fff; border: 3px solid #fff; border-radius: 50%; width: 5.5em; height: 5.5em; font-weight: bold; font-size: 1em; cursor: pointer; }
  #estop:active { background: #8e0000; }
  #release { background: #546e7a; color: #fff; border: 0; padding: .4em .8em; border-radius: 4px; cursor: pointer; }
  #estop-state { font-weight: bold; }
  #estop-state.on { color: #ff8a80; }
  main { display: grid; grid-template-columns: minmax(280px, 1fr) 2fr; gap: 1em; padding: 1em; }
  section { background: #fff; border-radius: 6px; padding: .6em .9em; box-shadow: 0 1px 2px #0002; }
  section h2 { font-size: 1em; margin: .2em 0 .5em; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .2em .4em; border-bottom: 1px solid #eee; vertical-align: top; }
  td.value { font-family: ui-monospace, monospace; }
  .state-RUNNING, .state-running { color: #1565c0; font-weight: bold; }
  .state-FAILED, .state-failed, .state-aborted { color: #c62828; font-weight: bold; }
  .state-COMPLETE, .state-finished, .state-done { color: #2e7d32; }
  #plot-wrap { grid-column: 2; grid-row: 1 / span 3; }
  #plot { width: 100%; height: 420px; display: block; background: #fff; }
  #log { font-family: ui-monospace, monospace; font-size: .8em; max-height: 12em; overflow: auto; white-space: pre-wrap; }
  .muted { color: #777; }
</style>
</head>
<body>
<header>
  <h1>${title}</h1>
  <span id="conn" class="muted">connecting…</span>
  <span id="estop-state"></span>
  <button id="release" type="button" title="release the e-stop">release</button>
  <button id="estop" type="button" title="emergency-stop every device">E-STOP</button>
</header>
<main>
  <section id="devices-box"><h2>Devices <span id="rig-name" class="muted"></span></h2>
    <table id="devices"><thead><tr><th>device</th><th>family</th><th>value</th></tr></thead><tbody></tbody></table></section>
  <section id="plot-wrap"><h2>Newest run <span id="run-title" class="muted">none yet</span></h2>
    <canvas id="plot" data-points="0"></canvas><div id="legend" class="muted"></div></section>
  <section><h2>Actions and sets</h2>
    <table id="actions"><thead><tr><th>id</th><th>what</th><th>state</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Procedures</h2>
    <table id="procedures"><thead><tr><th>id</th><th>script</th><th>state</th></tr></thead><tbody></tbody></table>
    <div id="log"></div></section>
</main>
<script>
"use strict";
(function () {
  var params = new URLSearchParams(location.search);
  var token = params.get('token');
  function withToken(u) { return token ? u + (u.indexOf('?') >= 0 ? '&' : '?') + 'token=' + encodeURIComponent(token) : u; }
  function wsUrl(p) { return withToken((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + p); }
  function api(method, path) {
    var headers = token ? { authorization: 'Bearer ' + token } : {};
    return fetch(path, { method: method, headers: headers }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + r.status));
        return body;
      });
    });
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function fmt(v) {
    if (typeof v === 'number') return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : String(Math.round(v * 1e4) / 1e4);
    if (typeof v === 'string') return v;
    return JSON.stringify(v);
  }
  var links = {};
  function linkState(name, ok) {
    links[name] = ok;
    var down = Object.keys(links).filter(function (k) { return !links[k]; });
    $('conn').textContent = down.length ? 'reconnecting: ' + down.join(', ') : 'connected';
  }
  /** Open a websocket that reconnects (1 s, doubling to 30 s) and hands each JSON message to onMsg. */
  function socket(name, path, onMsg, onOpen) {
    var delay = 1000;
    function open() {
      var ws = new WebSocket(wsUrl(path));
      ws.onopen = function () { delay = 1000; linkState(name, true); if (onOpen) onOpen(ws); };
      ws.onmessage = function (m) { var x; try { x = JSON.parse(m.data); } catch (e) { return; } onMsg(x); };
      ws.onclose = function () { linkState(name, false); setTimeout(open, delay); delay = Math.min(delay * 2, 30000); };
    }
    open();
  }

  // Devices and live values: each device's read keys (its describe's dataKeys) that are readable
  // parts of it (stage:A.readback), else the device itself (its readback).
  var valueCells = {};
  function liveNames(d) {
    return api('GET', '/api/devices/' + encodeURIComponent(d.name)).then(function (desc) {
      var keys = desc.dataKeys || {};
      if (Object.keys(keys).length) valueCells[d.name].only = keys;
      var seen = {};
      var names = (desc.parts || []).filter(function (p) {
        if ((p.kind !== 'r' && p.kind !== 'rw') || !keys[p.key] || seen[p.key]) return false;
        seen[p.key] = true; return true;
      }).map(function (p) { return d.name + ':' + p.path; });
      return names.length ? names : [d.name];
    }).catch(function () { return [d.name]; });
  }
  function shortKey(device, key) { return key.indexOf(device + '-') === 0 ? key.slice(device.length + 1) : key; }
  api('GET', '/api/devices').then(function (r) {
    if (r.name) $('rig-name').textContent = '(' + r.name + ')';
    var body = $('devices').tBodies[0];
    var devices = r.devices || [];
    devices.forEach(function (d) {
      var tr = el('tr'); tr.id = 'device-' + d.name;
      tr.appendChild(el('td', d.name)); tr.appendChild(el('td', d.family + (d.simulated ? ' (sim)' : '')));
      var td = el('td', '…', 'value'); tr.appendChild(td); body.appendChild(tr);
      valueCells[d.name] = { td: td, keys: {} };
    });
    return Promise.all(devices.map(liveNames));
  }).then(function (lists) {
    var names = [].concat.apply([], lists).slice(0, 200);
    if (names.length) socket('live', '/ws/live?signals=' + encodeURIComponent(names.join(',')), function (m) {
      if (m.type !== 'live') return;
      var c = valueCells[m.device]; if (!c || (c.only && !c.only[m.key])) return;
      c.keys[m.key] = m.value;
      var ks = Object.keys(c.keys);
      var nums = ks.filter(function (k) { return typeof c.keys[k] === 'number'; });
      if (nums.length) ks = nums;  // flags and status words stay out of the table when there are numbers
      c.td.textContent = ks.length === 1 && ks[0] === m.device ? fmt(c.keys[ks[0]]) : ks.map(function (k) { return shortKey(m.device, k) + '=' + fmt(c.keys[k]); }).join('  ');
      c.td.dataset.updated = String(Date.now());
    });
  }).catch(function (e) { $('devices').tBodies[0].appendChild(el('tr')).appendChild(el('td', 'devices: ' + e.message)); });

  // Actions, sets and the e-stop state.
  function row(table, id, cells) {
    var body = $(table).tBodies[0];
    var tr = document.getElementById(table + '-' + id);
    if (!tr) { tr = el('tr'); tr.id = table + '-' + id; body.insertBefore(tr, body.firstChild); while (body.rows.length > 30) body.deleteRow(-1); }
    tr.textContent = '';
    cells.forEach(function (c, i) { tr.appendChild(el('td', c, i === cells.length - 1 ? 'state-' + c : undefined)); });
  }
  function showEStop(on, detail) {
    var s = $('estop-state');
    s.textContent = on ? 'E-STOPPED' + (detail ? ' ' + detail : '') : '';
    s.className = on ? 'on' : '';
  }
  socket('status', '/ws/status', function (m) {
    if (m.type === 'action' && m.record) row('actions', m.record.id, [m.record.id, m.record.name, m.record.state || '']);
    else if (m.type === 'set') row('actions', m.id, [m.id, 'set ' + (m.device || '') + (m.path ? ':' + m.path : '') + ' = ' + fmt(m.value), m.state || '']);
    else if (m.type === 'estop') showEStop(m.estop, m.elapsedMs !== undefined ? '(' + fmt(m.elapsedMs) + ' ms)' : '');
  });

  // Procedures and the OET event stream.
  function procRow(p) { row('procedures', p.id, [p.id, (p.script && p.script.script_uri) || '', p.state]); }
  api('GET', '/api/v1.0/procedures').then(function (r) { (r.procedures || []).forEach(procRow); }).catch(function () {});
  var procs = {};
  function logLine(text) {
    var log = $('log');
    log.appendChild(el('div', text));
    while (log.childNodes.length > 50) log.removeChild(log.firstChild);
    log.scrollTop = log.scrollHeight;
  }
  try {
    var es = new EventSource(withToken('/api/v1.0/stream'));
    es.onopen = function () { linkState('stream', true); };
    es.onerror = function () { linkState('stream', false); };
    es.onmessage = function (m) {
      var e; try { e = JSON.parse(m.data); } catch (x) { return; }
      if (e.result && e.result.id !== undefined && e.result.state) { procs[e.result.id] = e.result; procRow(e.result); }
      if (e.topic === 'procedure.lifecycle.statechange') {
        var p = procs[e.procedure_id] || { id: e.procedure_id, script: { script_uri: '' } };
        p.state = e.new_state; procs[p.id] = p; procRow(p);
      }
      if (e.topic === 'user.script.announce') logLine('[' + e.procedure_id + '] ' + fmt(e.msg));
      else if (e.topic.indexOf('request.') === 0 || e.topic === 'procedure.lifecycle.stacktrace') logLine(e.topic + (e.stacktrace ? ': ' + String(e.stacktrace).split('\\n')[0] : ''));
    };
  } catch (e) { logLine('no event stream: ' + e.message); }

  // The newest run, plotted.
  var run = null;
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function addEvent(data, time) {
    if (!run) return;
    run.points.push({ t: time - run.t0, data: data });
    schedule();
  }
  socket('documents', '/ws/documents', function (m) {
    var name = m.name, doc = m.doc;
    if (!doc) return;
    if (name === 'start') {
      var dims = doc.hints && doc.hints.dimensions;
      var x = dims && dims[0] && dims[0][0] && dims[0][0][0];
      run = { uid: doc.uid, t0: doc.time, x: x || (doc.motors && doc.motors[0]) || null, plan: doc.plan_name || 'run', scan: doc.scan_id, hinted: [], descriptors: {}, points: [], done: null };
      $('run-title').textContent = run.plan + (run.scan !== undefined ? ' #' + run.scan : '') + ' (running)';
      schedule();
    } else if (!run) {
      return;
    } else if (name === 'descriptor' && doc.run_start === run.uid) {
      run.descriptors[doc.uid] = true;
      var hints = doc.hints || {};
      Object.keys(hints).forEach(function (k) { (hints[k].fields || []).forEach(function (f) { if (run.hinted.indexOf(f) < 0) run.hinted.push(f); }); });
    } else if (name === 'event' && run.descriptors[doc.descriptor]) {
      addEvent(doc.data, doc.time);
    } else if (name === 'event_page' && run.descriptors[doc.descriptor]) {
      for (var i = 0; i < doc.time.length; i++) {
        var d = {}; Object.keys(doc.data).forEach(function (k) { d[k] = doc.data[k][i]; });
        addEvent(d, doc.time[i]);
      }
    } else if (name === 'stop' && doc.run_start === run.uid) {
      run.done = doc.exit_status;
      $('run-title').textContent = run.plan + (run.scan !== undefined ? ' #' + run.scan : '') + ' (' + doc.exit_status + ')';
      schedule();
    }
  });
  var pending = false;
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); } }
  function draw() {
    var c = $('plot');
    var dpr = window.devicePixelRatio || 1;
    var w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(h * dpr)) c.height = Math.round(h * dpr);
    var g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#ffffff'; g.fillRect(0, 0, w, h);
    var L = 60, R = 16, T = 12, B = 36;
    g.strokeStyle = '#999'; g.lineWidth = 1;
    g.strokeRect(L + 0.5, T + 0.5, w - L - R, h - T - B);
    c.dataset.points = '0';
    if (!run || run.points.length === 0) { $('legend').textContent = run ? 'waiting for events' : ''; return; }
    var first = run.points[0].data;
    var xKey = run.x && isNum(first[run.x]) ? run.x : null;
    var ys = (run.hinted.length ? run.hinted : Object.keys(first)).filter(function (k) { return k !== xKey && isNum(first[k]); });
    if (ys.length === 0) ys = Object.keys(first).filter(function (k) { return k !== xKey && isNum(first[k]); });
    var xs = run.points.map(function (p) { return xKey ? p.data[xKey] : p.t; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    var yv = []; run.points.forEach(function (p) { ys.forEach(function (k) { if (isNum(p.data[k])) yv.push(p.data[k]); }); });
    var y0 = Math.min.apply(null, yv), y1 = Math.max.apply(null, yv);
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    var pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
    function px(x) { return L + (x - x0) / (x1 - x0) * (w - L - R); }
    function py(y) { return h - B - (y - y0) / (y1 - y0) * (h - T - B); }
    g.fillStyle = '#555'; g.font = '11px sans-serif';
    g.textAlign = 'center'; g.fillText(fmt(x0), px(x0), h - B + 14); g.fillText(fmt(x1), px(x1), h - B + 14);
    g.fillText(xKey || 'time since start (s)', L + (w - L - R) / 2, h - 6);
    g.textAlign = 'right'; g.fillText(fmt(y1), L - 4, T + 10); g.fillText(fmt(y0), L - 4, h - B);
    var drawn = 0;
    ys.forEach(function (k, i) {
      var col = COLORS[i % COLORS.length];
      g.strokeStyle = col; g.fillStyle = col; g.lineWidth = 1.5;
      g.beginPath();
      var started = false;
      run.points.forEach(function (p, j) { var v = p.data[k]; if (!isNum(v)) return; var X = px(xs[j]), Y = py(v); if (started) g.lineTo(X, Y); else { g.moveTo(X, Y); started = true; } });
      g.stroke();
      run.points.forEach(function (p, j) { var v = p.data[k]; if (!isNum(v)) return; g.beginPath(); g.arc(px(xs[j]), py(v), 3.5, 0, Math.PI * 2); g.fill(); drawn++; });
    });
    c.dataset.points = String(drawn);
    c.dataset.x = xKey || 'time';
    var legend = $('legend'); legend.textContent = '';
    ys.forEach(function (k, i) { var s = el('span', '\\u25CF ' + k + '  '); s.style.color = COLORS[i % COLORS.length]; legend.appendChild(s); });
    legend.appendChild(el('span', run.points.length + ' events vs ' + (xKey || 'time')));
  }
  window.addEventListener('resize', schedule);
  draw();

  // E-stop.
  $('estop').addEventListener('click', function () {
    if (!confirm('E-STOP: stop every device of the rig and every running action?')) return;
    api('POST', '/api/estop').then(function (r) { showEStop(true, '(' + fmt(r.elapsedMs) + ' ms' + (r.ok ? '' : ', not all confirmed') + ')'); })
      .catch(function (e) { showEStop(true, 'request failed: ' + e.message); });
  });
  $('release').addEventListener('click', function () {
    if (!confirm('Release the e-stop?')) return;
    api('POST', '/api/estop?switch=false').then(function () { showEStop(false); }).catch(function (e) { logLine('release failed: ' + e.message); });
  });
})();
</script>
</body>
</html>
`;
}
