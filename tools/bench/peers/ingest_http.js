// ingest_http.js: Meta's webhooks in, the Node peer of tools/bench/ingest_bench.cpp (issue 22):
// what a Node gateway does with a POST to /webhooks/meta/{instance}: check X-Hub-Signature-256
// (HMAC-SHA256 of the raw body with the app secret), parse, and insert the rows Enfinito's
// inbound path inserts for each new text message (the message, the conversation's window, the
// message.received event) with better-sqlite3, one transaction per POST, then answer 200.
//
//   node ingest_http.js <database> <instance id> <phone number id> <app secret>
//
// The database is a copy of Enfinito's (same schema, the instance's row), made by the bench.
'use strict';
const crypto = require('node:crypto');
const { openDatabase, messageId, send, serve } = require('./http_peer');

const [dbPath, instanceId, phoneNumberId, appSecret] = process.argv.slice(2);
const db = openDatabase(dbPath);
const instances = new Map(); // instance id -> its owner, read once (Enfinito caches it too)
const findInstance = db.prepare('SELECT id, user_id FROM instances WHERE id = ?');
const insertMessage = db.prepare(
  "INSERT OR IGNORE INTO messages(id, instance_id, direction, peer, type, body, status, wamid, created_at, updated_at) " +
    "VALUES(?, ?, 'inbound', ?, ?, ?, 'received', ?, ?, ?)",
);
const noteConversation = db.prepare(
  'INSERT INTO conversations (instance_id, peer, profile_name, last_inbound_at) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (instance_id, peer) DO UPDATE SET ' +
    'last_inbound_at = MAX(COALESCE(last_inbound_at, 0), excluded.last_inbound_at), ' +
    'profile_name = COALESCE(excluded.profile_name, profile_name)',
);
const insertEvent = db.prepare(
  'INSERT INTO events(user_id, instance_id, type, data, created_at) VALUES(?, ?, ?, ?, ?)',
);
let stored = 0;

// One transaction per POST: every new message with its conversation row and its event.
const store = db.transaction((owner, updates, now) => {
  for (const { m, contact } of updates) {
    const id = messageId();
    const type = m.type || 'unknown';
    if (insertMessage.run(id, owner.id, m.from, type, JSON.stringify(m), m.id || null, now, now).changes === 0)
      continue; // Meta's redelivery of a wamid already stored
    stored++;
    const sentAt = Math.min(Number(m.timestamp) > 0 ? Number(m.timestamp) * 1000 : now, now);
    const name = contact && contact.profile && typeof contact.profile.name === 'string' ? contact.profile.name : null;
    noteConversation.run(owner.id, m.from, name, sentAt);
    const data = { message_id: id, instance_id: owner.id, wamid: m.id, from: m.from, type,
                   timestamp: Number(m.timestamp) || 0, contact: contact || null, message: m };
    insertEvent.run(owner.user_id, owner.id, 'message.received', JSON.stringify(data), now);
  }
});

function verified(body, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice(7), 'hex');
  const expected = crypto.createHmac('sha256', appSecret).update(body).digest();
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

serve((req, body, res) => {
  const match = /^\/webhooks\/meta\/([^/?]+)$/.exec(req.url);
  if (req.method !== 'POST' || !match) return send(res, 404, '{"error":"not_found"}');
  let owner = instances.get(match[1]);
  if (!owner) {
    owner = match[1] === instanceId ? findInstance.get(match[1]) : undefined;
    if (!owner) return send(res, 401, '{"error":"invalid_signature"}');
    instances.set(match[1], owner);
  }
  if (!verified(body, req.headers['x-hub-signature-256'])) return send(res, 401, '{"error":"invalid_signature"}');
  let n;
  try {
    n = JSON.parse(body);
  } catch {
    return send(res, 400, '{"error":"invalid_notification"}');
  }
  if (n === null || typeof n !== 'object' || !Array.isArray(n.entry))
    return send(res, 400, '{"error":"invalid_notification"}');
  const updates = [];
  if (n.object === 'whatsapp_business_account') {
    for (const entry of n.entry) {
      for (const change of (entry && entry.changes) || []) {
        const v = change && change.value;
        if (change.field !== 'messages' || !v || !v.metadata || v.metadata.phone_number_id !== phoneNumberId) continue;
        const contacts = new Map(((v.contacts) || []).map((c) => [c.wa_id, c]));
        for (const m of v.messages || [])
          if (m && typeof m.from === 'string') updates.push({ m, contact: contacts.get(m.from) || (v.contacts || [])[0] });
      }
    }
  }
  store(owner, updates, Date.now());
  send(res, 200, '', 'text/plain; charset=utf-8');
}, () => ({ stored }));
