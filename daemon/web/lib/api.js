// api.js: every call to the daemon's REST API goes through here. It sends JSON (which, with the
// Origin header the browser adds, satisfies the CSRF rules for cookie sessions), turns
// problem+json answers into ApiError, reports lost connections and 5xx in the global banner,
// and sends the user to sign-in when the session has ended.

export class ApiError extends Error {
  constructor(status, p = {}) {
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.code = p.code || (status === 0 ? 'network' : `http_${status}`);
    this.title = p.title || '';
    this.detail = p.detail || '';
    this.field = p.field || '';
    this.problem = p;
  }
}

const hooks = { banner: () => {}, unauthorized: () => {} };
// The shell tells the api how to show the connection banner and where a 401 leads.
export function configure(h) { Object.assign(hooks, h); }

// api('GET', '/v1/me') → parsed JSON (null for 204). opts: {query, quiet401, noBanner, headers}
export async function api(method, path, body, opts = {}) {
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...opts.headers } };
  if (body !== undefined || method === 'POST') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    if (!opts.noBanner) hooks.banner('offline');
    throw new ApiError(0, {});
  }
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (res.status !== 204 && /json/.test(type)) {
    try { data = await res.json(); } catch { data = null; }
  }
  // A 502 `meta_error` is Meta refusing the request (shown where it belongs), not a server fault.
  const serverFault = res.status >= 500 && data?.code !== 'meta_error';
  if (!opts.noBanner) hooks.banner(serverFault ? 'server' : null);
  if (res.ok) return data;
  const err = new ApiError(res.status, data && typeof data === 'object' ? data : {});
  if (res.status === 401 && !opts.quiet401) hooks.unauthorized();
  throw err;
}

export const get = (path, query, opts) => api('GET', path, undefined, { ...opts, query });
export const post = (path, body, opts) => api('POST', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, body, opts) => api('DELETE', path, body, opts);

// Path segments from data are always encoded.
export const enc = encodeURIComponent;

// Meta's error table (GET /v1/meta/errors), fetched once; an empty table if the route is missing.
let metaErrors;
export function metaErrorTable() {
  metaErrors ??= get('/v1/meta/errors', null, { quiet401: true })
    .then((r) => new Map((r?.data || []).map((e) => [Number(e.code), e])))
    .catch(() => new Map());
  return metaErrors;
}
