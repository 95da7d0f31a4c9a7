// router.js: History API routing. Same-origin <a href> clicks become pushState navigations
// (API, asset and download links excepted), back/forward re-render, and after each render the
// page heading takes focus so screen-reader and keyboard users land on the new content.

const routes = [];
let renderFn = () => {};
let current = null;

// route('/instances/:id', loader): loader(params) → Promise<module-like render function>.
export function route(pattern, handler) {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; }) + '/?$');
  routes.push({ re, names, handler, pattern });
}

export function match(pathname) {
  for (const r of routes) {
    const m = r.re.exec(pathname);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { handler: r.handler, params, pattern: r.pattern };
    }
  }
  return null;
}

export function start(render) {
  renderFn = render;
  window.addEventListener('popstate', () => renderFn(location, { pop: true }));
  document.addEventListener('click', onClick);
  renderFn(location, {});
}

// navigate('/instances/abc') or navigate(url, {replace: true}).
export function navigate(to, { replace = false } = {}) {
  const url = new URL(to, location.origin);
  if (url.origin !== location.origin) { location.assign(url); return; }
  const same = url.pathname + url.search + url.hash === location.pathname + location.search + location.hash;
  if (replace || same) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  renderFn(location, {});
}

// Changes the query string without a re-render (filters that already show their result).
export function setQuery(params) {
  const url = new URL(location.href);
  url.search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null)).toString();
  history.replaceState(null, '', url);
}

function onClick(e) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  if (/^\/(v1|graph|webhooks|assets)\//.test(url.pathname)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;  // in-page anchor
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

export const currentRoute = () => current;
export function setCurrent(r) { current = r; }
