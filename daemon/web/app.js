// app.js: boots the app: loads the session, draws the shell (skip link, top bar, navigation,
// feed indicator, banner, toast region), maps URLs to page modules and renders them.
import { h, replace } from './lib/dom.js';
import { t } from './lib/i18n.js';
import { configure, get, post, ApiError } from './lib/api.js';
import { route, start, match, navigate, setCurrent } from './lib/router.js';
import { session, loadMe, loadProviders, isAdmin, auth } from './lib/session.js';
import { startFeed, stopFeed, onState } from './lib/feed.js';
import { banner, toast, heading, empty, buttonLink, describe } from './lib/ui.js';

const page = (file, fn) => () => import(`./pages/${file}.js`).then((m) => m[fn]);
const PUBLIC = { public: true };

// [pattern, loader, options]; `public` pages need no session.
const ROUTES = [
  ['/signin', page('auth', 'signin'), PUBLIC],
  ['/signup', page('auth', 'signup'), PUBLIC],
  ['/pending', page('auth', 'pending'), PUBLIC],
  ['/forgot-password', page('auth', 'forgot'), PUBLIC],
  ['/reset-password', page('auth', 'reset'), PUBLIC],
  ['/data-rights', page('data_rights', 'dataRights'), PUBLIC],
  ['/instances', page('instances', 'list')],
  ['/instances/new', page('instances', 'create')],
  ['/instances/:id', page('instances', 'detail')],
  ['/instances/:id/conversations', page('conversations', 'list')],
  ['/instances/:id/conversations/:peer', page('conversations', 'view')],
  ['/instances/:id/messages', page('messages', 'log')],
  ['/messages/:id', page('messages', 'detail')],
  ['/instances/:id/hooks', page('hooks', 'list')],
  ['/instances/:id/hooks/:hook', page('hooks', 'detail')],
  ['/instances/:id/optouts', page('optouts', 'list')],
  ['/instances/:id/templates', page('templates', 'list')],
  ['/instances/:id/templates/new', page('templates', 'create')],
  ['/instances/:id/templates/:template', page('templates', 'edit')],
  ['/instances/:id/broadcasts', page('broadcasts', 'list')],
  ['/instances/:id/broadcasts/new', page('broadcasts', 'create')],
  ['/broadcasts/:id', page('broadcasts', 'detail')],
  ['/help/webhooks', page('instance_health', 'webhooksHelp')],
  ['/api-keys', page('api_keys', 'keys')],
  ['/live', page('live', 'live')],
  ['/settings', page('settings', 'settings')],
  ['/settings/security', page('security', 'security')],
  ['/admin/users', page('admin', 'users'), { admin: true }],
  ['/admin/audit', page('admin', 'audit'), { admin: true }],
];
const options = new Map();
for (const [p, loader, o] of ROUTES) { route(p, loader); options.set(p, o || {}); }

// ---- shell ----

const main = h('main', { id: 'main', tabindex: '-1' });
const nav = h('nav', { id: 'nav', class: 'nav', 'aria-label': t('nav.label') });
const feedEl = h('span', { class: 'feed-state', role: 'status', 'data-testid': 'feed-state' });
const menuBtn = h('button', { type: 'button', class: 'btn menu-btn', 'aria-expanded': 'false', 'aria-controls': 'nav' }, t('nav.menu'));
const header = h('header', { class: 'topbar' },
  h('a', { class: 'brand', href: '/' }, h('img', { src: new URL('./icon.svg', import.meta.url).pathname, alt: '', width: '28', height: '28' }), t('app.name')),
  menuBtn, nav, feedEl);
const bannerEl = h('div', { id: 'banner', class: 'banner', role: 'alert', hidden: true });
const toasts = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite', 'aria-atomic': 'false' });
document.body.replaceChildren(
  h('a', { class: 'skip-link', href: '#main' }, t('nav.skip')), header, bannerEl, main, toasts);

menuBtn.addEventListener('click', () => {
  const open = menuBtn.getAttribute('aria-expanded') !== 'true';
  menuBtn.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
});

onState((s) => {
  feedEl.className = `feed-state feed-${s}`;
  feedEl.dataset.state = s;
  replace(feedEl, h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`feed.${s}`));
  feedEl.hidden = s === 'idle';
});

function drawNav() {
  const signedIn = !!session.me;
  header.classList.toggle('signed-out', !signedIn);
  if (!signedIn) { replace(nav); return; }
  const link = (href, text) => h('a', { href, class: 'nav-link' }, text);
  const signout = h('button', { type: 'button', class: 'btn btn-quiet' }, t('nav.signout'));
  signout.addEventListener('click', async () => {
    try { await post('/v1/auth/signout', undefined, { quiet401: true }); } catch { /* signed out anyway */ }
    signedOut();
    toast(t('auth.signed_out'));
  });
  replace(nav, h('ul', null,
    h('li', null, link('/instances', t('nav.instances'))),
    h('li', null, link('/api-keys', t('nav.api_keys'))),
    h('li', null, link('/live', t('nav.live'))),
    isAdmin() ? h('li', null, link('/admin/users', t('nav.admin_users'))) : null,
    isAdmin() ? h('li', null, link('/admin/audit', t('nav.admin_audit'))) : null,
    h('li', null, link('/settings', t('nav.settings'))),
    h('li', null, signout)));
}

function markCurrent() {
  for (const a of nav.querySelectorAll('a')) {
    const p = new URL(a.href).pathname;
    const on = location.pathname === p || (p !== '/' && location.pathname.startsWith(p + '/'));
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

// Called by sign-in pages once the cookie is set.
auth.signedIn = async function signedIn(next) {
  await loadMe();
  drawNav();
  // An administrator without a second factor may only enrol one (docs/security.md).
  if (await mustEnrol()) { navigate('/settings/security', { replace: true }); return; }
  startFeed();
  navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/instances', { replace: true });
};

async function mustEnrol() {
  if (!isAdmin()) return false;
  try {
    const st = await get('/v1/me/totp', null, { quiet401: true });
    return st.required && !st.enrolled;
  } catch { return false; }  // an older daemon: nothing to enrol
}

function signedOut() {
  session.me = null;
  stopFeed();
  drawNav();
  navigate('/signin', { replace: true });
}

auth.signedOut = signedOut;

configure({
  banner,
  unauthorized: () => {
    if (!session.me) return;
    session.me = null;
    stopFeed();
    drawNav();
    toast(t('auth.session_ended'), 'error');
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  },
});

// ---- rendering ----

let cleanups = [];
let seq = 0;

async function render(loc) {
  const mySeq = ++seq;
  for (const f of cleanups) { try { f(); } catch (e) { console.error(e); } }
  cleanups = [];
  nav.classList.remove('open');
  menuBtn.setAttribute('aria-expanded', 'false');
  const path = loc.pathname;
  if (path === '/' || path === '') {
    navigate(session.me ? '/instances' : '/signin', { replace: true });
    return;
  }
  const m = match(path);
  const opts = m ? options.get(m.pattern) : {};
  if (m && !opts.public && !session.me) {
    navigate(`/signin?next=${encodeURIComponent(path + loc.search)}`, { replace: true });
    return;
  }
  setCurrent(m);
  markCurrent();
  main.setAttribute('aria-busy', 'true');
  let content;
  try {
    if (!m || (opts.admin && !isAdmin())) content = notFound();
    else {
      const fn = await m.handler();
      content = await fn({ params: m.params, query: new URLSearchParams(loc.search), onLeave: (f) => cleanups.push(f) });
    }
  } catch (e) {
    if (!(e instanceof ApiError)) console.error(e);  // an API refusal is shown, not a bug
    content = h('div', null, heading(t('error.page_title')), h('p', { class: 'form-error' }, await describe(e)),
      h('p', null, h('a', { href: '/instances' }, t('notfound.home'))));
  }
  if (mySeq !== seq) return;  // a newer navigation won
  replace(main, content);
  main.removeAttribute('aria-busy');
  const h1 = main.querySelector('h1');
  document.title = h1 ? `${h1.textContent} · ${t('app.name')}` : t('app.name');
  (h1 || main).focus({ preventScroll: false });
  window.scrollTo(0, 0);
}

function notFound() {
  return h('div', null, heading(t('notfound.title')),
    empty(t('notfound.title'), t('notfound.text'), buttonLink(session.me ? '/instances' : '/signin', t('notfound.home'), 'btn btn-primary')));
}

// ---- boot ----

await Promise.all([loadProviders(), loadMe()]);
drawNav();
if (session.me) startFeed();
start(render);
