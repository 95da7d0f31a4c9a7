// feed.js: the live event feed. Gets a single-use ticket (browsers cannot set headers on a
// WebSocket), connects to /v1/stream, and after a drop reconnects with backoff and
// `after=<last event id>` so no event is lost or repeated. Its state (idle, connecting,
// connected, reconnecting, stopped) drives the visible indicator in the top bar.
import { post, ApiError } from './api.js';

const listeners = new Set();
const stateListeners = new Set();
let ws = null;
let state = 'idle';
let lastId = 0;
let running = false;
let retries = 0;
let timer = 0;
let wasConnected = false;

function setState(s) {
  if (s === state) return;
  state = s;
  for (const f of stateListeners) f(s);
}

// on(fn): fn(event) for each event, and fn({type: 'feed.resync'}) after a reconnect that may have
// missed events (no event seen yet to resume from). Returns the unsubscribe function.
export function on(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function onState(fn) { stateListeners.add(fn); fn(state); return () => stateListeners.delete(fn); }
export const feedState = () => state;

function emit(ev) {
  for (const f of listeners) {
    try { f(ev); } catch (e) { console.error(e); }
  }
}

export function startFeed() {
  if (running) return;
  running = true;
  retries = 0;
  connect();
}

export function stopFeed() {
  running = false;
  clearTimeout(timer);
  if (ws) { ws.onclose = null; ws.close(1000); ws = null; }
  lastId = 0;
  wasConnected = false;
  setState('idle');
}

async function connect() {
  if (!running) return;
  setState(wasConnected ? 'reconnecting' : 'connecting');
  let ticket;
  try {
    ticket = (await post('/v1/stream/ticket', undefined, { quiet401: true, noBanner: true })).ticket;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) { running = false; setState('stopped'); return; }
    return later();
  }
  if (!running) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = new URLSearchParams({ ticket });
  if (lastId) q.set('after', String(lastId));
  const sock = new WebSocket(`${proto}//${location.host}/v1/stream?${q}`);
  ws = sock;
  sock.onopen = () => {
    // Without after=, the server waits briefly for a resume request: say "start now".
    if (!lastId) sock.send('{"resume_after":null}');
    retries = 0;
    const resumed = wasConnected;
    wasConnected = true;
    setState('connected');
    if (resumed && !lastId) emit({ type: 'feed.resync' });
  };
  sock.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    if (typeof ev.id === 'number' && ev.id > lastId) lastId = ev.id;
    emit(ev);
  };
  sock.onclose = () => {
    if (ws === sock) ws = null;
    later();
  };
}

function later() {
  if (!running) return;
  setState(wasConnected ? 'reconnecting' : 'connecting');
  const delay = Math.min(15000, 500 * 2 ** retries) * (0.75 + Math.random() * 0.5);
  retries = Math.min(retries + 1, 6);
  clearTimeout(timer);
  timer = setTimeout(connect, delay);
}

// Reconnect at once when the browser says the network is back.
window.addEventListener('online', () => {
  if (running && !ws) { clearTimeout(timer); retries = 0; connect(); }
});
