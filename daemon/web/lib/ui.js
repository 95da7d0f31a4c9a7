// ui.js: the shared pieces pages are built from: headings, toasts, the connection banner,
// forms that show API errors next to the right field, copy buttons, confirmation dialogs,
// badges, message ticks, time formatting and empty states.
import { h, replace, sr, nextId } from './dom.js';
import { t, has, locale } from './i18n.js';
import { ApiError, metaErrorTable } from './api.js';

// ---- page frame ----

// The page heading: focused after each navigation (tabindex -1 makes it focusable by script).
// Badges among `extra` sit beside the title; everything else goes to the right.
export function heading(text, ...extra) {
  const flat = extra.flat().filter(Boolean);
  const badges = flat.filter((x) => x.classList?.contains('badge'));
  return h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, text), ...badges),
    ...flat.filter((x) => !badges.includes(x)));
}

export const card = (title, ...children) =>
  h('section', { class: 'card', 'aria-labelledby': null }, title ? h('h2', null, title) : null, ...children);

export const empty = (title, text, ...actions) =>
  h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), text ? h('p', null, text) : null,
    actions.length ? h('div', { class: 'actions' }, ...actions) : null);

export const loading = () => h('p', { class: 'loading', role: 'status' }, t('common.loading'));

export const buttonLink = (href, text, cls = 'btn') => h('a', { class: cls, href }, text);

// ---- toasts and the banner ----

export function toast(text, kind = 'ok') {
  const region = document.getElementById('toasts');
  const el = h('div', { class: `toast toast-${kind}` }, text);
  region.appendChild(el);
  // At most two at once: the newest replaces the oldest, so toasts never pile up over the page.
  while (region.children.length > 2) region.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4500);
}

// kind: 'offline' | 'server' | null (clear).
export function banner(kind) {
  const el = document.getElementById('banner');
  if (!kind) { if (!el.hidden) { el.hidden = true; replace(el); } return; }
  replace(el, kind === 'offline' ? t('banner.offline') : t('banner.server'));
  el.hidden = false;
}

// A message for an error that no field claims.
export function errorText(e) {
  if (!(e instanceof ApiError)) return t('error.unexpected');
  if (e.status === 0) return t('error.network');
  if (e.status >= 500 && !e.detail) return t('error.server');
  const key = `code.${e.code}`;
  const known = has(key);
  const base = e.detail ? `${e.title ? e.title + ': ' : ''}${e.detail}` : (e.title || t('error.unexpected'));
  return known ? t(key) : base;
}

// ---- forms ----

// field(id-less label, input attrs, hint) → {wrap, input}. The input gets a generated id, the
// label's for=, and aria-describedby pointing at its hint and its error slot.
export function field(label, attrs = {}, hint = null, { tag = 'input', options = null } = {}) {
  const id = attrs.id || nextId();
  const hintId = hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  const input = tag === 'select'
    ? h('select', { ...attrs, id, 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') },
      ...(options || []).map(([v, text]) => h('option', { value: v }, text)))
    : h(tag, { ...attrs, id, 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') });
  if (tag === 'select' && attrs.value !== undefined) input.value = attrs.value;
  const isCheck = attrs.type === 'checkbox';
  const lab = h('label', { for: id }, label);
  const wrap = h('div', { class: isCheck ? 'field field-check' : 'field', 'data-field': attrs.name || '' },
    isCheck ? [input, lab] : [lab, input],
    hint ? h('div', { class: 'hint', id: hintId }, hint) : null,
    h('div', { class: 'field-error', id: errId }));
  return { wrap, input };
}

// form({fields: {apiName: input}, submit: 'Save', onSubmit: async (values) => …}) → <form>.
// On an ApiError naming a field the message appears under that input (aliases maps API field
// names onto inputs); other errors show above the button. Nothing typed is ever cleared on error.
export function form({ children, submit, onSubmit, fields = {}, aliases = {}, cls = '' }) {
  const summary = h('div', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'btn btn-primary' }, submit);
  const f = h('form', { class: `form ${cls}`, novalidate: true }, ...children, summary, h('div', { class: 'actions' }, btn));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(f, summary);
    if (!f.checkValidity()) {
      const bad = [...f.elements].filter((el) => el.willValidate && !el.checkValidity());
      for (const el of bad) showFieldError(el, el.validationMessage);
      bad[0]?.focus();
      return;
    }
    btn.disabled = true;
    f.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(values(fields), f);
    } catch (err) {
      const input = err instanceof ApiError && err.field ? (fields[aliases[err.field] || err.field]) : null;
      if (input) {
        await showApiFieldError(input, err);
        input.focus();
      } else {
        replace(summary, await describe(err));
      }
    } finally {
      btn.disabled = false;
      f.removeAttribute('aria-busy');
    }
  });
  f.summary = summary;
  f.submitButton = btn;
  return f;
}

function values(fields) {
  const out = {};
  for (const [k, el] of Object.entries(fields)) out[k] = el.type === 'checkbox' ? el.checked : el.value;
  return out;
}

function clearErrors(f, summary) {
  replace(summary);
  for (const el of f.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of f.querySelectorAll('.field-error')) replace(el);
}

export function showFieldError(input, text) {
  input.setAttribute('aria-invalid', 'true');
  const slot = document.getElementById(`${input.id}-err`);
  if (slot) replace(slot, text);
}

async function showApiFieldError(input, err) {
  showFieldError(input, await describe(err, true));
}

// The user-facing sentence for an error, with Meta's plain explanation when Meta refused.
export async function describe(err, forField = false) {
  if (!(err instanceof ApiError)) return t('error.unexpected');
  const metaCode = err.problem.meta_code ?? err.problem.meta_error_code;
  let text = forField && err.detail ? capitalize(err.detail) : errorText(err);
  if (metaCode !== undefined && metaCode !== null) {
    const m = (await metaErrorTable()).get(Number(metaCode));
    text += m ? ` — ${t('meta.says', { code: metaCode, title: m.title })} ${m.explanation} ${m.action}` : ` (${t('meta.code', { code: metaCode })})`;
  }
  return text;
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// Runs an action from a button: disables it meanwhile, toasts the outcome.
export async function act(btn, fn, okText) {
  btn.disabled = true;
  try {
    const r = await fn();
    if (okText) toast(okText);
    return r;
  } catch (e) {
    toast(await describe(e), 'error');
    return undefined;
  } finally {
    btn.disabled = false;
  }
}

// Redraws part of a page without losing the keyboard user's place: the control that had focus
// (found again by its name or its text) gets it back, else the page heading.
export async function keepFocus(root, redraw) {
  const a = document.activeElement;
  const had = a && root.contains(a) ? { name: a.getAttribute('name'), text: a.textContent, tag: a.tagName } : null;
  await redraw();
  if (!had) return;
  const same = [...root.querySelectorAll(had.tag)].find((el) => (had.name ? el.getAttribute('name') === had.name : el.textContent === had.text));
  (same || root.querySelector('h1'))?.focus();
}

// ---- copy, confirm ----

export function copyField(label, value, { multiline = false } = {}) {
  const id = nextId('copy');
  const input = multiline
    ? h('textarea', { id, readonly: true, rows: '3', class: 'mono', spellcheck: 'false' })
    : h('input', { id, readonly: true, class: 'mono', spellcheck: 'false' });
  input.value = value;
  const btn = h('button', { type: 'button', class: 'btn btn-small', 'aria-describedby': id }, t('common.copy'));
  btn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      input.select();
      document.execCommand?.('copy');
    }
    btn.textContent = t('common.copied');
    toast(t('common.copied_named', { what: label }));
    setTimeout(() => { btn.textContent = t('common.copy'); }, 2000);
  });
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('div', { class: 'copy-row' }, input, btn));
}

// confirmDialog({title, text, confirm}) → Promise<boolean>, using a modal <dialog>.
export function confirmDialog({ title, text, confirm, danger = true }) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const ok = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary' }, confirm);
    const cancel = h('button', { type: 'button', class: 'btn' }, t('common.cancel'));
    const d = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title), h('p', null, text), h('div', { class: 'actions' }, cancel, ok));
    const done = (v) => { d.close(); d.remove(); resolve(v); };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    d.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.appendChild(d);
    d.showModal();
    cancel.focus();
  });
}

// ---- badges, ticks, time ----

export const badge = (text, kind = 'neutral') => h('span', { class: `badge badge-${kind}` }, text);

export function statusBadge(status) {
  const kind = { active: 'ok', needs_reauth: 'warn', disabled: 'neutral', paused: 'warn', pending: 'warn',
    suspended: 'danger', rejected: 'danger', delivered: 'ok', failed: 'danger' }[status] || 'neutral';
  return badge(t(`status.${status}`), kind);
}

const TICKS = { accepted: '◷', sending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠', dead: '⚠', received: '' };

// The WhatsApp-style tick for an outbound message status, with its name for screen readers.
export function tick(status) {
  const glyph = TICKS[status] ?? '';
  return h('span', { class: `tick tick-${status}`, title: t(`msg.${status}`) },
    glyph ? h('span', { 'aria-hidden': 'true' }, glyph) : null, sr(t(`msg.${status}`)));
}

// Accepts unix ms, unix seconds (instances report seconds) or an ISO string (accounts). A number
// below 1e11 is seconds: as milliseconds it would fall in 1973.
export function toDate(v) {
  if (v === null || v === undefined || v === '' || v === 0) return null;
  if (typeof v === 'number') return new Date(v < 1e11 ? v * 1000 : v);
  return new Date(Date.parse(v));
}

const dtf = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const tf = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
const df = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });

export function when(v) {
  const d = toDate(v);
  return d ? dtf.format(d) : t('common.never');
}

// Short time for lists: today → 14:05, else 3 Dec. Full date in the title and datetime.
export function timeEl(v) {
  const d = toDate(v);
  if (!d) return h('span', null, t('common.never'));
  const today = new Date().toDateString() === d.toDateString();
  return h('time', { datetime: d.toISOString(), title: dtf.format(d) }, today ? tf.format(d) : df.format(d));
}

export function duration(ms) {
  const m = Math.max(0, Math.floor(ms / 60000));
  const hrs = Math.floor(m / 60);
  return hrs ? t('time.hm', { h: hrs, m: m % 60 }) : t('time.m', { m });
}

export const pre = (obj) => h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(obj, null, 2));

// A table with a caption (for screen readers) and one header row.
// On a narrow screen (app.css) each row becomes a card and each cell shows its column's name
// from data-label, so nothing is cut off; wider screens keep the table, which still scrolls
// (focusable, named by the caption) if it ever overflows.
export function table(caption, headers, rows, { captionVisible = false } = {}) {
  const labels = headers.map((x) => (typeof x === 'string' ? x : ''));
  for (const tr of rows) {
    [...tr.children].forEach((td, i) => { if (labels[i] && !td.hasAttribute('data-label')) td.setAttribute('data-label', labels[i]); });
  }
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', null,
      h('caption', { class: captionVisible ? null : 'sr-only' }, caption),
      h('thead', null, h('tr', null, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, ...rows)));
}
