// Differential framing test: every raw request file in the given directories goes to
// Enfinito's admission (the framing_probe binary, which replays the server's own steps) and to
// Node's HTTP/1.1 server (llhttp, strict: insecureHTTPParser false) over a loopback socket.
// A file fails when the two disagree about where a request's body ends: both accept a request
// but read a different body or a different next request, or Enfinito accepts a request that
// llhttp refuses for its framing (Content-Length, Transfer-Encoding, chunks) or is still waiting
// the body of. Refusals by Enfinito where llhttp accepts are safe (the connection closes) and
// are listed, not failed.
//
// usage: node differential.mjs PROBE DIR|FILE... (exit 0: no disagreement; 1: some; 2: usage)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const [probe, ...dirs] = process.argv.slice(2);
if (!probe || dirs.length === 0) {
  console.error('usage: node differential.mjs PROBE DIR...');
  process.exit(2);
}

const files = dirs
  .flatMap((d) => (statSync(d).isDirectory() ? readdirSync(d).map((f) => path.join(d, f)) : [d]))
  .filter((f) => statSync(f).isFile())
  .sort();

// Enfinito's view: one JSON line per file.
const enfinito = new Map();
for (const line of execFileSync(probe, files, { maxBuffer: 256 << 20 }).toString().split('\n')) {
  if (!line) continue;
  const r = JSON.parse(line);
  enfinito.set(r.file, r);
}

// llhttp errors that are about where a message ends (as opposed to, say, a bad header token).
const FRAMING_ERRORS = new Set([
  'HPE_INVALID_TRANSFER_ENCODING', 'HPE_INVALID_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH',
  'HPE_INVALID_CHUNK_SIZE', 'HPE_CHUNK_EXTENSIONS_OVERFLOW', 'HPE_INVALID_EOF_STATE', 'HPE_STRICT',
]);

const hex = (s) => Buffer.from(s, 'latin1').toString('hex');

// Node's view of one connection carrying `bytes`: the requests it completed, and its end.
let current = null;
const server = http.createServer({ insecureHTTPParser: false, requireHostHeader: false, maxHeaderSize: 8192 });
server.on('request', (req, res) => {
  const state = current;
  const entry = { method: hex(req.method), target: hex(req.url), body: '', keep_alive: res.shouldKeepAlive, done: false };
  state.requests.push(entry);
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    entry.body = Buffer.concat(parts).toString('hex');
    entry.done = true;
    res.end('ok');
  });
});
server.on('clientError', (err, socket) => {
  if (current && !current.error) current.error = err.code || String(err);
  socket.destroy();
});
for (const ev of ['upgrade', 'connect']) {
  server.on(ev, (req, socket) => {
    if (current) {
      current.requests.push({ method: hex(req.method), target: hex(req.url), body: '', keep_alive: false, done: true });
      current.tunnel = ev;
    }
    socket.destroy();
  });
}
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;

function node_view(bytes) {
  return new Promise((resolve) => {
    current = { requests: [], error: null, tunnel: null };
    const c = net.connect(port, '127.0.0.1', () => {
      c.write(bytes);
      c.end();
    });
    c.on('data', () => {});
    c.on('error', () => {});
    const timer = setTimeout(() => c.destroy(), 3000);
    c.on('close', () => {
      clearTimeout(timer);
      setTimeout(() => resolve(current), 20);  // let the server side finish its events
    });
  });
}

// Node's requests up to the first that ends the connection (as the server stops there).
function until_close(list) {
  const out = [];
  for (const r of list) {
    out.push(r);
    if (!r.keep_alive) break;
  }
  return out;
}

const failures = [];
const notes = [];
for (const file of files) {
  const e = enfinito.get(file);
  const n = await node_view(readFileSync(file));
  // llhttp's completed requests, up to the first that ends the connection (the server stops
  // there); a request whose body never completed was refused or is incomplete, not accepted.
  const n_requests = until_close(n.requests.filter((r, i) => n.requests.slice(0, i + 1).every((q) => q.done)));
  const n_end = n.tunnel ?? (n.error === 'HPE_INVALID_EOF_STATE' ? 'incomplete' : n.error ?? 'eof');
  const why = [];
  const common = Math.min(e.requests.length, n_requests.length);
  for (let i = 0; i < common && why.length === 0; ++i) {
    const a = e.requests[i], b = n_requests[i];
    if (a.method !== b.method || a.target !== b.target)
      why.push(`request ${i}: Enfinito read ${a.method}/${a.target}, llhttp ${b.method}/${b.target}`);
    else if (a.body !== b.body)
      why.push(`request ${i}: bodies differ (Enfinito ${a.body.length / 2} bytes, llhttp ${b.body.length / 2})`);
  }
  const k = common;
  if (why.length === 0 && e.requests.length > k && !n.tunnel) {
    // Enfinito accepted request k; llhttp did not complete it.
    if (n.error && !FRAMING_ERRORS.has(n.error))
      notes.push(`${file}: llhttp refuses request ${k} (${n.error}), Enfinito accepts it`);
    else why.push(`request ${k}: Enfinito accepts it, llhttp: ${n_end}`);
  }
  if (why.length === 0 && n_requests.length > k) {
    // llhttp accepted request k; Enfinito did not.
    if (e.end === 'refused') notes.push(`${file}: Enfinito refuses request ${k} (${e.status} ${e.reason}), llhttp accepts it`);
    else if (e.end !== 'upgrade') why.push(`request ${k}: llhttp accepts it, Enfinito: ${e.end}`);
  }
  if (why.length) failures.push(`${file}: ${why.join('; ')}`);
  else if (process.env.VERBOSE)
    console.log(`ok ${path.basename(file)}: Enfinito ${e.requests.length} request(s), ${e.end} ${e.status || ''}; ` +
                `llhttp ${n_requests.length}, ${n_end}`);
}
server.close();

for (const n of notes) console.log(`note: ${n}`);
for (const f of failures) console.log(`FAIL: ${f}`);
console.log(`${files.length} files, ${failures.length} framing disagreement(s), ${notes.length} safe refusal difference(s)`);
process.exit(failures.length ? 1 : 0);
