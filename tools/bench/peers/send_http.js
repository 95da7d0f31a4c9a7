// send_http.js: the send accept, the Node peer of tools/bench/send_bench.cpp (issue 22): what a
// Node gateway does with POST /v1/instances/{id}/messages before it answers 202: the bearer
// key (SHA-256, as Enfinito stores it), the instance (its owner, its status), the body's shape
// as Enfinito checks a text message (`to` a phone number of 5 to 15 digits, `type` text,
// `text.body` a string of 1 to 4,096 characters, `preview_url` a boolean), then the same durable
// insert with better-sqlite3, one transaction per request: the message row, its send job and
// its message.accepted event. It does not send anything on (Enfinito, in the same benchmark,
// also relays every accepted message to the fake Graph API).
//
//   node send_http.js <database>
//
// The database is a copy of Enfinito's (same schema, the bench user, its API key, the
// instances), made by the bench.
'use strict';
const crypto = require('node:crypto');
const { openDatabase, messageId, send, serve } = require('./http_peer');

const db = openDatabase(process.argv[2]);
// Read once each, then kept (Enfinito caches keys and instance rows too).
const keys = new Map();
const instances = new Map();
const findKey = db.prepare('SELECT id, user_id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL');
const findInstance = db.prepare('SELECT id, user_id, status FROM instances WHERE id = ?');
const insertMessage = db.prepare(
  'INSERT INTO messages (id, instance_id, direction, peer, type, body, status, attempts, possible_duplicate, ' +
    "api_key_id, created_at, updated_at, callback_tagged) VALUES (?, ?, 'outbound', ?, ?, ?, 'accepted', 0, 0, ?, ?, ?, 1)",
);
const insertJob = db.prepare(
  "INSERT INTO send_jobs (message_seq, instance_id, peer, state, next_attempt_at) VALUES (?, ?, ?, 'queued', ?)",
);
const insertEvent = db.prepare(
  'INSERT INTO events(user_id, instance_id, type, data, created_at) VALUES(?, ?, ?, ?, ?)',
);
let accepted = 0;

const accept = db.transaction((key, instance, m) => {
  const seq = insertMessage.run(m.id, instance.id, m.peer, m.type, m.body, key.id, m.created_at, m.created_at)
    .lastInsertRowid;
  insertJob.run(seq, instance.id, m.peer, m.created_at);
  const data = { message_id: m.id, instance_id: instance.id, status: 'accepted', to: m.peer };
  insertEvent.run(key.user_id, instance.id, 'message.accepted', JSON.stringify(data), m.created_at);
});

function problem(res, status, code, detail) {
  send(res, status, JSON.stringify({ type: 'about:blank', status, code, detail }), 'application/problem+json');
}

// Enfinito's shape check of a text message; the error, or null.
function invalid(o) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'the body must be a JSON object';
  if (typeof o.to !== 'string' || o.to === '') return 'to: must be a non-empty string';
  const digits = o.to.replace(/[+ ()-]/g, '');
  if (!/^[0-9]{5,15}$/.test(digits)) return 'to: must be a phone number with country code';
  if (o.type !== undefined && o.type !== 'text') return 'type: only text in this peer';
  const t = o.text;
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return 'text: must be an object';
  if (typeof t.body !== 'string' || t.body.length === 0 || t.body.length > 4096) return 'text.body: 1 to 4096';
  if (t.preview_url !== undefined && typeof t.preview_url !== 'boolean') return 'text.preview_url: a boolean';
  return null;
}

serve((req, body, res) => {
  const match = /^\/v1\/instances\/([^/?]+)\/messages$/.exec(req.url);
  if (req.method !== 'POST' || !match) return problem(res, 404, 'not_found', 'no such route');
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) return problem(res, 401, 'unauthorized', 'no key');
  const hash = crypto.createHash('sha256').update(auth.slice(7)).digest('hex');
  let key = keys.get(hash);
  if (!key) {
    key = findKey.get(hash);
    if (!key) return problem(res, 401, 'unauthorized', 'unknown key');
    keys.set(hash, key);
  }
  let instance = instances.get(match[1]);
  if (!instance) {
    instance = findInstance.get(match[1]);
    if (instance) instances.set(match[1], instance);
  }
  if (!instance || instance.user_id !== key.user_id) return problem(res, 404, 'not_found', 'no such instance');
  if (instance.status !== 'active') return problem(res, 409, 'instance_disabled', 'the instance is not active');
  let o;
  try {
    o = JSON.parse(body);
  } catch {
    return problem(res, 400, 'invalid_json', 'the body is not JSON');
  }
  const bad = invalid(o);
  if (bad) return problem(res, 400, 'invalid_message', bad);
  o.messaging_product = 'whatsapp';
  if (o.recipient_type === undefined) o.recipient_type = 'individual';
  o.type = 'text';
  const m = { id: messageId(), peer: o.to.replace(/[+ ()-]/g, ''), type: 'text', body: JSON.stringify(o), created_at: Date.now() };
  accept(key, instance, m);
  accepted++;
  const record = { id: m.id, object: 'message', status: 'accepted', instance_id: instance.id, peer: m.peer,
                   type: m.type, created_at: m.created_at };
  send(res, 202, JSON.stringify(record));
}, () => ({ accepted }));
