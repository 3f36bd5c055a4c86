// fake_slack.mjs — a local Slack for tests: the Web API methods XIO uses,
// Socket Mode, and signed Events API delivery.  Listens on 127.0.0.1:0 and
// prints "PORT <n>" on stdout.
//
// Web API (POST /api/<method>, JSON or form bodies, Bearer tokens checked):
//   auth.test, apps.connections.open (xapp- token), chat.postMessage,
//   conversations.replies, conversations.history, users.info.
//   Errors as {"ok":false,"error":…} with HTTP 200; 429 + Retry-After when a
//   channel posts faster than its limit (burst, then 1 per interval) or when
//   a 429 storm is ordered.
// Socket Mode (GET /link?ticket=…): hello first; envelopes must be acked by
//   envelope_id; unacked envelopes are delivered again (retry_attempt) on the
//   next connection; disconnect and drops on demand.
// Control (/_fake/…): posts, post (deliver an event or command), config,
//   disconnect, drop, state.
import http from 'node:http';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(process.env.FAKE_NODE_PREFIX + '/node_modules/');
const { WebSocketServer } = require('ws');

const BOT = process.env.FAKE_BOT_TOKEN || 'xoxb-test';
const APP = process.env.FAKE_APP_TOKEN || 'xapp-test';
const SECRET = process.env.FAKE_SIGNING_SECRET || 'secret-test';
const BOT_USER = 'UBOT';
const users = { UALICE: 'Alice', UBOB: 'Bob', UCAROL: 'Carol', UDAVE: 'Dave' };

const cfg = { interval_ms: 50, burst: 5, storm: 0, storm_retry_after: 1, events_url: '' };
const posts = [];          // every chat.postMessage accepted, in order
const responses = [];      // every response_url post
const channels = {};       // channel -> [messages], top level and replies
const limits = {};         // channel -> { tat }
const log = [];            // notable protocol events
const closes = [];         // close codes of Socket Mode connections (1006: no close frame)
let tsCounter = 1700000000;
let tickets = 0;
const sockets = new Set();
const pendingEnvelopes = new Map(); // envelope_id -> envelope (unacked)
let envelopeSeq = 0;
let acks = 0;

function nextTs() { tsCounter += 1; return `${tsCounter}.000100`; }

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseArgs(req, body) {
  const ct = req.headers['content-type'] || '';
  if (ct.startsWith('application/json')) {
    try { return JSON.parse(body || '{}'); } catch { return null; }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function send(res, status, obj, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(obj));
}

function rateLimited(channel) {
  const now = Date.now();
  const l = limits[channel] || (limits[channel] = { tat: 0 });
  const tat = Math.max(l.tat, now);
  if (tat - now > (cfg.burst - 1) * cfg.interval_ms) return Math.ceil((tat - now) / 1000) || 1;
  l.tat = tat + cfg.interval_ms;
  return 0;
}

const api = {
  'auth.test': (a, tok, res) => send(res, 200, { ok: true, user_id: BOT_USER, team_id: 'T1', bot_id: 'B1' }),
  'apps.connections.open': (a, tok, res) => {
    tickets += 1;
    send(res, 200, { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=t${tickets}` });
  },
  'users.info': (a, tok, res) => {
    const name = users[a.user];
    if (!name) return send(res, 200, { ok: false, error: 'user_not_found' });
    send(res, 200, { ok: true, user: { id: a.user, name: name.toLowerCase(), real_name: name,
      is_bot: false, profile: { display_name: name, real_name: name } } });
  },
  'chat.postMessage': (a, tok, res) => {
    if (!a.channel) return send(res, 200, { ok: false, error: 'channel_not_found' });
    if (!a.text && !a.blocks) return send(res, 200, { ok: false, error: 'no_text' });
    if (cfg.storm > 0) {
      cfg.storm -= 1;
      log.push('429 storm');
      return send(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(cfg.storm_retry_after) });
    }
    const wait = rateLimited(a.channel);
    if (wait) {
      log.push(`429 ${a.channel}`);
      return send(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(wait) });
    }
    if (a.metadata && (typeof a.metadata !== 'object' || !a.metadata.event_type))
      return send(res, 200, { ok: false, error: 'invalid_metadata_format' });
    const ts = nextTs();
    const msg = { type: 'message', ts, text: a.text, user: BOT_USER, bot_id: 'B1',
      username: a.username, icon_emoji: a.icon_emoji, icon_url: a.icon_url,
      thread_ts: a.thread_ts, blocks: a.blocks, metadata: a.metadata };
    (channels[a.channel] || (channels[a.channel] = [])).push(msg);
    posts.push({ channel: a.channel, ...msg });
    send(res, 200, { ok: true, channel: a.channel, ts, message: msg });
  },
  'conversations.replies': (a, tok, res) => {
    const all = (channels[a.channel] || []).filter((m) => m.ts === a.ts || m.thread_ts === a.ts);
    page(a, all, res);
  },
  'conversations.history': (a, tok, res) => {
    page(a, (channels[a.channel] || []).filter((m) => !m.thread_ts).slice().reverse(), res);
  },
};

function page(a, all, res) {
  const limit = Math.min(Number(a.limit) || 100, 3); // small pages so cursors are exercised
  const start = Number(a.cursor || 0);
  const slice = all.slice(start, start + limit).map((m) => {
    const c = { ...m };
    if (!(a.include_all_metadata === true || a.include_all_metadata === 'true')) delete c.metadata;
    return c;
  });
  const next = start + limit < all.length ? String(start + limit) : '';
  send(res, 200, { ok: true, messages: slice, has_more: !!next, response_metadata: { next_cursor: next } });
}

function deliverEnvelope(env) {
  const open = [...sockets].filter((s) => s.readyState === 1 && s.helloSent);
  if (!open.length) return false;
  open[open.length - 1].send(JSON.stringify(env));
  return true;
}

function makeEnvelope(type, payload) {
  envelopeSeq += 1;
  const env = { envelope_id: `env-${envelopeSeq}`, type, accepts_response_payload: type !== 'events_api',
    retry_attempt: 0, retry_reason: '', payload };
  pendingEnvelopes.set(env.envelope_id, env);
  deliverEnvelope(env);
  return env.envelope_id;
}

async function deliverHttp(path, body, contentType, opts = {}) {
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const sig = opts.forge ? 'v0=' + '0'.repeat(64)
    : 'v0=' + crypto.createHmac('sha256', opts.secret || SECRET).update(`v0:${ts}:${body}`).digest('hex');
  const headers = { 'content-type': contentType, 'x-slack-request-timestamp': ts, 'x-slack-signature': sig };
  if (opts.retry) { headers['x-slack-retry-num'] = String(opts.retry); headers['x-slack-retry-reason'] = 'http_timeout'; }
  const r = await fetch(cfg.events_url + path, { method: 'POST', headers, body });
  return { status: r.status, body: await r.text() };
}

let eventSeq = 0;
async function control(path, a, res) {
  switch (path) {
    case '/_fake/posts': return send(res, 200, { posts, responses, log, acks });
    case '/_fake/config': Object.assign(cfg, a); return send(res, 200, cfg);
    case '/_fake/state': return send(res, 200, {
      sockets: [...sockets].filter((s) => s.readyState === 1 && s.helloSent).length,
      pending: pendingEnvelopes.size, tickets, acks, closes });
    case '/_fake/disconnect': {
      for (const s of sockets) if (s.readyState === 1) s.send(JSON.stringify({ type: 'disconnect', reason: a.reason || 'refresh_requested', debug_info: { host: 'fake' } }));
      return send(res, 200, { ok: true });
    }
    case '/_fake/drop': {
      for (const s of sockets) s.terminate();
      return send(res, 200, { ok: true });
    }
    case '/_fake/command': { // {user, channel, text, via: "socket"|"http"}
      const payload = { token: 'x', team_id: 'T1', team_domain: 'fake', channel_id: a.channel, channel_name: 'general',
        user_id: a.user, user_name: (users[a.user] || a.user).toLowerCase(), command: '/xio', text: a.text,
        api_app_id: 'A1', response_url: `http://127.0.0.1:${port}/_hooks/r${++eventSeq}`,
        trigger_id: a.trigger_id || `trig-${eventSeq}` };
      if (a.via === 'http') {
        const r = await deliverHttp('/slack/commands', new URLSearchParams(payload).toString(), 'application/x-www-form-urlencoded');
        return send(res, 200, r);
      }
      return send(res, 200, { envelope_id: makeEnvelope('slash_commands', payload) });
    }
    case '/_fake/event': { // {user, channel, text, thread_ts, type, via, event_id, ts, raw, forge, stale, retry}
      let body;
      if (a.raw !== undefined) body = a.raw;
      else {
        const ts = a.ts || nextTs();
        const ev = { type: a.type || 'message', user: a.user, text: a.text, ts, channel: a.channel,
          event_ts: ts, channel_type: 'channel' };
        if (a.thread_ts) ev.thread_ts = a.thread_ts;
        if (a.subtype) ev.subtype = a.subtype;
        if (a.bot_id) ev.bot_id = a.bot_id;
        if (!a.type || a.type === 'message') {
          // a human's message lands in the channel store too
          (channels[a.channel] || (channels[a.channel] = [])).push({ ...ev });
        }
        body = JSON.stringify({ token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback',
          event_id: a.event_id || `Ev${++eventSeq}`, event_time: Math.floor(Date.now() / 1000), event: ev,
          authorizations: [{ user_id: BOT_USER, is_bot: true }] });
      }
      if (a.via === 'http') {
        const opts = { forge: a.forge, retry: a.retry, ts: a.stale ? Math.floor(Date.now() / 1000) - 600 : undefined };
        const r = await deliverHttp('/slack/events', body, 'application/json', opts);
        return send(res, 200, { ...r, sent: JSON.parse(body) });
      }
      return send(res, 200, { envelope_id: makeEnvelope('events_api', JSON.parse(body)), sent: JSON.parse(body) });
    }
    case '/_fake/url_verification': {
      const r = await deliverHttp('/slack/events', JSON.stringify({ token: 'x', challenge: 'ch-123', type: 'url_verification' }), 'application/json');
      return send(res, 200, r);
    }
    case '/_fake/sign': { // raw delivery of arbitrary bytes, signed
      const r = await deliverHttp(a.path || '/slack/events', a.body, a.content_type || 'application/json');
      return send(res, 200, r);
    }
    default: return send(res, 404, { error: 'unknown control' });
  }
}

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/_fake/')) {
    let a = {};
    try { a = body ? JSON.parse(body) : {}; } catch { return send(res, 400, { error: 'bad json' }); }
    try { return await control(url.pathname, a, res); } catch (e) { return send(res, 500, { error: String(e) }); }
  }
  if (url.pathname.startsWith('/_hooks/')) {
    let a = {};
    try { a = JSON.parse(body); } catch { return send(res, 400, { ok: false }); }
    responses.push({ hook: url.pathname, ...a });
    return send(res, 200, { ok: true });
  }
  if (!url.pathname.startsWith('/api/')) return send(res, 404, { ok: false, error: 'unknown_method' });
  const method = url.pathname.slice(5);
  const fn = api[method];
  if (!fn) return send(res, 404, { ok: false, error: 'unknown_method' });
  const auth = req.headers.authorization || '';
  const tok = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const want = method === 'apps.connections.open' ? APP : BOT;
  if (!tok) return send(res, 200, { ok: false, error: 'not_authed' });
  if (tok !== want) return send(res, 200, { ok: false, error: 'invalid_auth' });
  const a = parseArgs(req, body);
  if (a === null) return send(res, 200, { ok: false, error: 'invalid_json' });
  fn(a, tok, res);
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  if (!req.url.startsWith('/link')) { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.add(ws);
    ws.on('close', (code, reason) => { sockets.delete(ws); closes.push({ code, reason: String(reason) }); });
    ws.on('message', (data) => {
      let m;
      try { m = JSON.parse(String(data)); } catch { log.push('bad frame from client'); return; }
      if (m.envelope_id && pendingEnvelopes.has(m.envelope_id)) {
        pendingEnvelopes.delete(m.envelope_id);
        acks += 1;
      } else {
        log.push(`unexpected frame ${String(data).slice(0, 80)}`);
      }
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.size,
      debug_info: { host: 'fake', approximate_connection_time: 18060 }, connection_info: { app_id: 'A1' } }));
    ws.helloSent = true;
    // what was never acked comes again, as Slack retries
    for (const env of pendingEnvelopes.values()) {
      env.retry_attempt += 1;
      env.retry_reason = 'timeout';
      ws.send(JSON.stringify(env));
    }
  });
});

let port = 0;
server.listen(0, '127.0.0.1', () => {
  port = server.address().port;
  process.stdout.write(`PORT ${port}\n`);
});
process.on('SIGTERM', () => { for (const s of sockets) s.terminate(); server.close(); process.exit(0); });
