// The real processes a browser walk needs, each on a loopback port: the fake Graph API, an SMTP
// sink (aiosmtpd) and enfinitod itself, plus a small HTTP receiver standing in for a customer's
// webhook endpoint. Everything is stopped by stop_all(); nothing listens beyond 127.0.0.1.
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run_file = promisify(execFile);
const here = path.dirname(new URL(import.meta.url).pathname);
export const browser_dir = path.resolve(here, '..');
export const source_dir = path.resolve(browser_dir, '../..');

// How to stop each thing started, for stop_all().
const running = [];

// The binaries come from CTest (tests/CMakeLists.txt); a developer may run the walk by hand
// against build/dev with no variables set.
export function binaries() {
  const dev = path.join(source_dir, 'build/dev');
  return {
    enfinitod: process.env.ENFINITOD_BIN || path.join(dev, 'daemon/enfinitod'),
    enfinitoctl: process.env.ENFINITOCTL_BIN || path.join(dev, 'daemon/enfinitoctl'),
    fake_graph: process.env.FAKE_GRAPH_BIN || path.join(dev, 'tools/fake_graph/fake-graph'),
  };
}

export async function sleep(ms) {
  await new Promise((r) => setTimeout(r, ms));
}

// Polls `probe` until it returns a truthy value; bounded, so a hung step fails with `what`.
export async function wait_for(what, probe, timeout_ms = 10000, every_ms = 50) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await sleep(every_ms);
  }
}

// A free loopback port: bind to 0, read the port, release it. The daemon needs its port before it
// starts because server.public_url (links in mails, the Origin check) names it.
export async function free_port() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function port_open(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// Spawns a child whose stdout+stderr go to `log_path`; remembered for stop_all().
function start_child(name, cmd, args, opts, log_path) {
  const log = fs.openSync(log_path, 'a');
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.log_path = log_path;
  child.exited = null;
  child.on('exit', (code, signal) => { child.exited = { code, signal }; });
  child.on('error', (err) => { child.exited = { error: `${cmd}: ${err.message}` }; });
  running.push(() => stop_child(child));
  return child;
}

// SIGTERM (the daemon drains), then SIGKILL if it is still there after 3 s.
async function stop_child(child) {
  if (child.exited) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

function log_of(child) {
  try { return fs.readFileSync(child.log_path, 'utf8'); } catch { return ''; }
}

async function wait_for_log(child, name, regex, timeout_ms = 15000) {
  return wait_for(`${name} to start (log: ${child.log_path})`, () => {
    if (child.exited) throw new Error(`${name} exited early (${JSON.stringify(child.exited)}):\n${log_of(child)}`);
    return log_of(child).match(regex);
  }, timeout_ms, 20);
}

export async function stop_all() {
  await Promise.all(running.splice(0).map((stop) => stop().catch(() => {})));
}

// ---- fake Graph API -------------------------------------------------------------------------
export const fake_credentials = {
  phone_number_id: '106540352242922',
  waba_id: '102290129340398',
  access_token: 'browser-walk-access-token-0123456789',  // registered in the fake by start_fake_graph
  app_id: '1234567890123',
  app_secret: '5e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b',  // Meta's shape: 32 hex digits
};

export async function start_fake_graph(dir) {
  const child = start_child('fake-graph', binaries().fake_graph, ['--port', '0'], {}, path.join(dir, 'fake-graph.log'));
  const m = await wait_for_log(child, 'fake-graph', /listening port=(\d+)/);
  const base_url = `http://127.0.0.1:${m[1]}`;
  const admin = async (method, what, body) => {
    const r = await fetch(`${base_url}/_admin/${what}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`fake-graph ${method} /_admin/${what}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  // The fake's built-in token is shorter than a real Meta token, which the daemon refuses.
  await admin('POST', 'tokens', { token: fake_credentials.access_token, phone_number_ids: [fake_credentials.phone_number_id],
    waba_ids: [fake_credentials.waba_id] });
  return { base_url, admin, log: () => log_of(child) };
}

// ---- SMTP sink ------------------------------------------------------------------------------
export async function start_smtp_sink(dir) {
  const port = await free_port();
  const mail_dir = path.join(dir, 'mail');
  fs.mkdirSync(mail_dir, { recursive: true });
  const child = start_child('smtp sink', '/usr/bin/python3',
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'smtp_sink.DirectorySink', mail_dir],
    { cwd: browser_dir, env: { PATH: '/usr/bin:/bin', PYTHONPATH: browser_dir, PYTHONDONTWRITEBYTECODE: '1' } },
    path.join(dir, 'smtp.log'));
  await wait_for('the SMTP sink to listen', async () => {
    if (child.exited) throw new Error(`the SMTP sink exited: ${log_of(child)}`);
    return port_open(port);
  }, 15000);
  const messages = () => fs.readdirSync(mail_dir).filter((f) => f.endsWith('.eml')).sort()
    .map((f) => fs.readFileSync(path.join(mail_dir, f), 'utf8'));
  // The newest mail to `to` whose text matches `regex`: resolves with the match.
  const wait_for_mail = (to, regex, timeout_ms = 15000) => wait_for(`a mail to ${to} matching ${regex}`, () => {
    for (const m of messages().reverse()) {
      const headers = m.split(/\r?\n\r?\n/)[0];
      if (!new RegExp(`^To:.*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(headers)) continue;
      const hit = m.match(regex);
      if (hit) return hit;
    }
    return null;
  }, timeout_ms, 100);
  return { port, messages, wait_for_mail };
}

// ---- a customer's webhook endpoint --------------------------------------------------------------
export async function start_hook_receiver() {
  const received = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  running.push(() => new Promise((resolve) => { srv.close(resolve); srv.closeAllConnections?.(); }));
  return { url: `http://127.0.0.1:${srv.address().port}/hook`, received };
}

// ---- enfinitod ----------------------------------------------------------------------------
// The daemon as an operator runs it: a TOML file, the vault key from $CREDENTIALS_DIRECTORY
// (created by `enfinitoctl create-key`), the first administrator by `enfinitoctl create-admin`.
export async function start_daemon(dir, { meta_base_url, smtp_port, extra_toml = '', args = [] }) {
  const port = await free_port();
  const public_url = `http://127.0.0.1:${port}`;
  const cred = path.join(dir, 'credentials');
  fs.mkdirSync(cred, { recursive: true, mode: 0o700 });
  const config = path.join(dir, 'enfinitod.toml');
  fs.writeFileSync(config, [
    '[server]', 'listen = "127.0.0.1"', `port = ${port}`, 'reactors = 2', `public_url = "${public_url}"`,
    '[store]', `path = "${path.join(dir, 'enfinito.db')}"`,
    '[limits]', 'drain_timeout_ms = 1000',
    '[meta]', `base_url = "${meta_base_url}"`,
    '[queue]', 'backoff_base_ms = 100', 'backoff_max_ms = 1000', 'sweep_interval_ms = 200',
    '[smtp]', 'host = "127.0.0.1"', `port = ${smtp_port}`, 'from = "noreply@enfinito.example"',
    'starttls = "off"', 'retry_base_ms = 200', 'retry_max_ms = 1000', 'poll_interval_ms = 50', 'timeout_ms = 5000',
    '[customer_webhooks]', 'allow_http = true', 'allow_ranges = "127.0.0.0/8"',
    '[log]', 'level = "info"',
  ].join('\n') + '\n', { mode: 0o600 });
  // A clean environment: the daemon reads ENFINITO_* variables as configuration.
  const env = { PATH: '/usr/bin:/bin', HOME: dir, CREDENTIALS_DIRECTORY: cred };
  const ctl = async (argv, stdin) => {
    const p = run_file(binaries().enfinitoctl, ['--config', config, ...argv], { env });
    if (stdin !== undefined) { p.child.stdin.write(stdin); p.child.stdin.end(); }
    return (await p).stdout;
  };
  await ctl(['create-key']);
  // Sections only the daemon accepts (e.g. [dev], valid with --dev alone) come after the key.
  if (extra_toml) fs.appendFileSync(config, extra_toml + '\n');
  const child = start_child('enfinitod', binaries().enfinitod, ['--config', config, ...args], { env, cwd: dir },
    path.join(dir, 'enfinitod.log'));
  await wait_for_log(child, 'enfinitod', /event=app.listening .*port=(\d+)/);
  return {
    port, public_url, config, ctl,
    log: () => log_of(child),
    create_admin: (email, name, password) => ctl(['create-admin', '--email', email, '--name', name], `${password}\n`),
  };
}
