// The browser walk of issue 16: a real enfinitod, the fake Graph API and an SMTP sink, driven
// through the web app in Debian's chromium. The steps run in order and share one world (the
// daemon, the users, the instance); once a step fails the later ones are skipped, not failed, so
// the first failure is the one to read. Every page visited is checked (no console error, no CSP
// violation, no request beyond 127.0.0.1, axe-core: no serious/critical finding) and
// screenshotted. Run by CTest (label `browser`) or by hand: `npm test` in tests/browser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { axe_violations, describe_axe, launch, screenshots, screenshot_dir, watched_context } from './lib/browser.js';
import {
  fake_credentials, start_daemon, start_fake_graph, start_hook_receiver, start_smtp_sink, stop_all, wait_for,
} from './lib/processes.js';

const admin = { email: 'admin@example.com', name: 'Ada Admin', password: 'admin-password-1234' };
const user = { email: 'carol@example.com', name: 'Carol Customer', password: 'carol-password-1234' };
const new_password = 'carol-new-password-5678';
const peer = { wa_id: '4915112345678', name: 'Peter Peer' };

const w = {};  // the shared world: processes, browser, contexts, ids found along the way
let broken = null;

// One step of the walk. Skipped (with the reason) once an earlier step failed.
function step(name, fn, timeout = 30000) {
  it(name, { timeout }, async (t) => {
    if (broken) { t.skip(`skipped: "${broken}" failed`); return; }
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      await failure_evidence(name).catch(() => {});
      throw e;
    }
  });
}

// On failure, a screenshot of each open page and the tail of the daemon's log.
async function failure_evidence(name) {
  const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  fs.mkdirSync(screenshot_dir, { recursive: true });
  for (const [who, ctx] of [['admin', w.admin_ctx], ['user', w.user_ctx]]) {
    for (const [i, p] of (ctx?.context.pages() ?? []).entries())
      await p.screenshot({ path: path.join(screenshot_dir, `FAILED-${slug}-${who}${i}.png`) }).catch(() => {});
  }
  if (w.daemon) console.error(`--- enfinitod log (tail) ---\n${w.daemon.log().split('\n').slice(-40).join('\n')}`);
}

// The checks every main page gets, after it settled; `name` names its screenshots.
async function check_page(page, ctx, name, { shots = true } = {}) {
  await page.waitForLoadState('networkidle').catch(() => {});
  const problems = ctx.take_problems();
  assert.deepEqual(problems, [], `${name}: the page must be clean`);
  const axe = await axe_violations(page);
  assert.equal(axe.length, 0, `${name}: axe-core found serious/critical violations:\n${describe_axe(axe)}`);
  if (shots) await screenshots(page, name);
  assert.deepEqual(ctx.take_problems(), [], `${name}: clean after the checks`);
}

async function api(method, url, { cookie_ctx, bearer, body } = {}) {
  const headers = { accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) { headers['content-type'] = 'application/json'; headers.origin = w.daemon.public_url; }
  if (cookie_ctx) {
    const cookies = await cookie_ctx.context.cookies(w.daemon.public_url);
    headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  }
  const r = await fetch(w.daemon.public_url + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

describe('web app walk', { concurrency: 1 }, () => {
  before(async () => {
    w.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enfinito-browser-'));
    w.meta = await start_fake_graph(w.dir);
    // Slow enough that the ticks visibly move through sent, delivered, read.
    await w.meta.admin('POST', 'knobs', { status_delays_ms: { sent: 400, delivered: 1200, read: 2000 } });
    w.smtp = await start_smtp_sink(w.dir);
    w.hooks = await start_hook_receiver();
    w.daemon = await start_daemon(w.dir, { meta_base_url: w.meta.base_url, smtp_port: w.smtp.port });
    await w.daemon.create_admin(admin.email, admin.name, admin.password);
    w.browser = await launch();
    w.admin_ctx = await watched_context(w.browser);
    w.user_ctx = await watched_context(w.browser);
  });

  after(async () => {
    await w.browser?.close().catch(() => {});
    await stop_all();
    if (!broken && w.dir) fs.rmSync(w.dir, { recursive: true, force: true });
    else if (w.dir) console.error(`browser walk: logs kept in ${w.dir}`);
  });

  step('the app is served at / with its security headers', async () => {
    const r = await api('GET', '/', {});
    assert.equal(r.status, 404, 'JSON clients still get JSON at /');
    const html = await fetch(w.daemon.public_url + '/signin', { headers: { accept: 'text/html' } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type'), /^text\/html/);
    const csp = html.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"])
      assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
    assert.equal(html.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(html.headers.get('set-cookie'), null, 'static responses set no cookie');
  });

  step('the sign-in page loads clean', async () => {
    const page = await w.user_ctx.context.newPage();
    w.user_page = page;
    await page.goto(w.daemon.public_url + '/');
    await page.waitForURL(/\/signin$/);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await check_page(page, w.user_ctx, 'signin');
  });
});
