// http_peer.js: what the HTTP peers (ingest_http.js, send_http.js) share, written as a Node
// gateway would (issue 22, "Peers"): a better-sqlite3 database in WAL mode with
// synchronous=FULL (each COMMIT is fsynced, as Enfinito's store is), and a node:http server on
// loopback that hands each request's whole body to a handler. It prints "port <n>" on stdout
// for the benchmark, answers GET /_stats with the handler's counts, and exits when its stdin
// closes (the benchmark ended).
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const Database = require('better-sqlite3');

function openDatabase(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON'); // the schema's REFERENCES hold, as in Enfinito's store
  db.pragma('busy_timeout = 5000');
  return db;
}

// A message id like Enfinito's "msg_" + crypto::time_ordered_token(16): a time prefix, then
// random bytes, so that new ids land at the end of the unique index as Enfinito's do.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function messageId() {
  if (poolAt + 8 > pool.length) {
    crypto.randomFillSync(pool);
    poolAt = 0;
  }
  const random = pool.toString('hex', poolAt, poolAt + 8);
  poolAt += 8;
  return 'msg_' + Date.now().toString(16).padStart(12, '0') + random;
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// handle(req, body: Buffer, res); stats(): the object GET /_stats answers.
function serve(handle, stats) {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/_stats') return send(res, 200, JSON.stringify(stats()));
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), res);
      } catch (e) {
        send(res, 500, JSON.stringify({ error: String(e && e.message) }));
      }
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  return server;
}

module.exports = { openDatabase, messageId, send, serve };
