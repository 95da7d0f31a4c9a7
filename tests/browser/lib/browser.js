// Debian's chromium driven by playwright-core, and the checks every page of the walk gets: no
// console error, no uncaught exception, no CSP violation, no request beyond 127.0.0.1, no serious
// or critical axe-core finding; plus screenshots at phone and desktop widths.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { source_dir } from './processes.js';

const require = createRequire(import.meta.url);
const axe_source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const screenshot_dir = process.env.SCREENSHOT_DIR || path.join(source_dir, 'build/browser-screenshots');
export const viewports = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

const loopback = new Set(['127.0.0.1', '[::1]']);

// Chromium logs every 4xx answer as a console error. One is part of the app's design: the
// boot-time session probe (GET /v1/me) answers 401 to a visitor who is not signed in. Only that
// one is excused; any other failed request is an error.
function expected_failure(msg) {
  if (!/^Failed to load resource: the server responded with a status of 401/.test(msg.text())) return false;
  const url = msg.location().url;
  return !!url && new URL(url).pathname === '/v1/me';
}

// A browser context (one user's cookie jar) whose pages are all watched. `problems` collects what
// went wrong in the order it happened; take_problems() hands them over and starts afresh, so a
// step can assert that it, and only it, was clean.
export async function watched_context(browser, options = {}) {
  const context = await browser.newContext({ viewport: viewports.desktop, ...options });
  const problems = [];
  context.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (!loopback.has(url.hostname)) problems.push(`request left 127.0.0.1: ${req.method()} ${req.url()}`);
  });
  // The page reports CSP violations through a binding; the listener is installed by the
  // debugger (not an inline script), so it does not itself need the CSP's permission.
  await context.exposeBinding('__enfinito_csp_violation', ({ page }, v) => {
    problems.push(`CSP violation on ${page.url()}: ${v.directive} blocked ${v.blocked} (${v.source})`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      globalThis.__enfinito_csp_violation({
        directive: e.effectiveDirective, blocked: e.blockedURI || '(inline)', source: `${e.sourceFile}:${e.lineNumber}`,
      });
    });
  });
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        if (expected_failure(msg)) return;
        problems.push(`console error on ${page.url()}: ${msg.text()} (${msg.location().url || 'no location'})`);
      }
      // The app's i18n says so when a text has no entry (it would show the bare key).
      else if (/^i18n: missing key/.test(msg.text())) problems.push(`${msg.text()} on ${page.url()}`);
    });
    page.on('pageerror', (err) => problems.push(`uncaught exception on ${page.url()}: ${err.stack || err}`));
  };
  context.on('page', watch);
  // Well under a step's own timeout, so a missing element fails with its name, not a step timeout.
  context.setDefaultTimeout(10000);
  const take_problems = () => problems.splice(0);
  return { context, take_problems };
}

// Runs axe-core in the page. Evaluated through the debugger, so the page's CSP is not involved.
export async function axe_violations(page) {
  const has_axe = await page.evaluate(() => typeof globalThis.axe !== 'undefined');
  if (!has_axe) await page.evaluate(axe_source);
  const result = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describe_axe(violations) {
  return violations.map((v) => `[${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
}

// Screenshots of the page as it is, at phone and desktop widths (light), and desktop dark.
export async function screenshots(page, name) {
  fs.mkdirSync(screenshot_dir, { recursive: true });
  const before = page.viewportSize();
  const shots = [['phone', 'light'], ['desktop', 'light'], ['desktop', 'dark']];
  // From the top: a full-page shot of a scrolled page draws the sticky top bar mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const [vp, scheme] of shots) {
    await page.setViewportSize(viewports[vp]);
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(50);
    await page.screenshot({ path: path.join(screenshot_dir, `${name}-${vp}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(before);
}
