// pages/broadcasts.js: an instance's broadcasts (/instances/{id}/broadcasts): the list with
// progress, the create form (template + language from the local copy, recipients as a CSV
// file or pasted CSV, send_at / expires_at, skip_invalid; rejected rows listed by CSV line) and
// a broadcast's page (/broadcasts/{id}) with its counts kept live from the feed, pause, resume,
// cancel and the per-recipient CSV export.
//
// The CSV is read here (lib/csv.js) and sent as JSON: a cookie session may only post JSON (CSRF
// rule, auth_guard.cpp), and the API numbers JSON rows by position, which lib/csv.js maps back
// to the line of the file the user knows (the header is line 1, as in the API's CSV reading).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, enc, ApiError, metaErrorTable } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { on as onFeed } from '../lib/feed.js';
import { heading, card, empty, field, form, toast, act, confirmDialog, badge, table, when, timeEl, showFieldError } from '../lib/ui.js';
import { parseCsv, toRecipients, byLine } from '../lib/csv.js';
import { countsFromEvent } from '../lib/broadcast_counts.js';
import { instanceLinks } from './instances.js';

const PAGE = 20;
const MAX_CSV_BYTES = 32 * 1024 * 1024;  // the API's body limit for this route
const MAX_SHOWN_REJECTIONS = 200;

// ---- shared bits ----

const stateKind = (s) => ({ running: 'ok', finished: 'ok', paused: 'warn', preparing: 'neutral', cancelled: 'danger' }[s] || 'neutral');
const stateBadge = (s) => badge(t(`bc.state_${s}`), stateKind(s));
const done = (b) => (b.counts ? b.recipients - b.counts.queued : 0);

function progressEl(b) {
  const n = Math.max(0, Math.min(b.recipients, done(b) || 0));
  return h('div', { class: 'progress-cell' },
    h('progress', { max: String(Math.max(1, b.recipients)), value: String(n), 'aria-label': t('bc.progress_label', { name: b.name || b.id }) }),
    h('span', { class: 'small' }, t('bc.progress', { done: n, total: b.recipients })));
}

// Runs fn at most once per `ms` after a burst of feed events.
function debounce(fn, ms) {
  let timer = 0;
  const run = () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
  run.cancel = () => clearTimeout(timer);
  return run;
}

const crumbs = (id, inst, ...more) => h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ',
  h('a', { href: `/instances/${enc(id)}` }, inst.name), ...more);

// ---- the list ----

export async function list({ params, onLeave }) {
  const id = params.id;
  const inst = await get(`/v1/instances/${enc(id)}`);
  const base = `/v1/instances/${enc(id)}/broadcasts`;
  const listEl = h('div', { 'data-testid': 'broadcast-list' });
  const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
  let items = [];
  let cursor = null;

  const draw = () => {
    more.hidden = !cursor;
    replace(listEl, items.length
      ? table(t('bc.caption'), [t('bc.f_name'), t('bc.template'), t('bc.state'), t('bc.progress_col'), t('bc.created_at')], items.map((b) => h('tr', null,
        h('td', null, h('a', { href: `/broadcasts/${enc(b.id)}` }, b.name || b.id)),
        h('td', { class: 'mono' }, `${b.template.name} (${b.template.language})`),
        h('td', null, stateBadge(b.state)), h('td', null, progressEl(b)), h('td', null, timeEl(b.created_at)))))
      : empty(t('bc.empty_title'), t('bc.empty_text')));
  };
  const load = async () => {
    const r = await get(base, { limit: Math.max(PAGE, items.length) });
    items = r.data || [];
    cursor = r.next_cursor;
    draw();
  };
  more.addEventListener('click', () => act(more, async () => {
    const r = await get(base, { limit: PAGE, cursor });
    items = items.concat(r.data || []);
    cursor = r.next_cursor;
    draw();
  }));
  await load();
  const refresh = debounce(() => load().catch(() => {}), 400);
  onLeave(refresh.cancel);
  onLeave(onFeed((ev) => {
    if (ev.type === 'feed.resync' || (ev.type?.startsWith('broadcast.') && ev.instance_id === id)) refresh();
  }));
  return h('div', null, crumbs(id, inst), heading(t('bc.title'), instanceLinks(id)),
    h('p', { class: 'muted' }, t('bc.intro')),
    h('div', { class: 'row page-actions' }, h('a', { class: 'btn btn-primary', href: `/instances/${enc(id)}/broadcasts/new` }, t('bc.new'))),
    listEl, h('p', null, more));
}

// ---- create ----

function rejectedList(rejected, total, truncated) {
  const shown = rejected.slice(0, MAX_SHOWN_REJECTIONS);
  return h('div', { class: 'rejections', 'data-testid': 'rejected-rows' },
    h('p', null, total === 1 ? t('bc.rejected_intro_one') : t('bc.rejected_intro', { n: total })),
    h('ul', { class: 'small' }, ...shown.map((r) => h('li', null,
      h('b', null, t('bc.line', { line: r.row })), ' ', r.field ? h('span', { class: 'mono' }, r.field) : null, r.field ? ': ' : '', r.detail))),
    truncated || rejected.length > shown.length ? h('p', { class: 'muted small' }, t('bc.rejected_more')) : null,
    h('p', { class: 'small' }, t('bc.rejected_fix')));
}

// datetime-local value → unix ms (the browser's time zone), or undefined when empty.
const localMs = (v) => (v ? new Date(v).getTime() : undefined);

async function templateOptions(id) {
  const all = [];
  let after;
  for (let i = 0; i < 5; ++i) {
    const page = await get(`/v1/instances/${enc(id)}/templates`, { limit: 100, status: 'APPROVED', after });
    all.push(...(page.data || []));
    after = page.paging?.after;
    if (!after) break;
  }
  return all;
}

const bodyParams = (tpl) => {
  const body = (tpl?.components || []).find((c) => String(c.type).toUpperCase() === 'BODY');
  return [...new Set([...(body?.text || '').matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]))];
};

export async function create({ params }) {
  const id = params.id;
  const inst = await get(`/v1/instances/${enc(id)}`);
  const tpls = await templateOptions(id);
  const frame = (...c) => h('div', null, crumbs(id, inst, ' / ', h('a', { href: `/instances/${enc(id)}/broadcasts` }, t('bc.title'))), heading(t('bc.new_title')), ...c);
  if (!tpls.length) {
    return frame(empty(t('bc.no_templates'), t('bc.no_templates_text'), h('a', { class: 'btn btn-primary', href: `/instances/${enc(id)}/templates` }, t('bc.to_templates'))));
  }
  const name = field(t('bc.f_name'), { name: 'name', maxlength: '200', placeholder: t('bc.f_name_ph') });
  const tpl = field(t('bc.f_template'), { name: 'template' }, t('bc.h_template'),
    { tag: 'select', options: tpls.map((x, i) => [String(i), `${x.name} (${x.language})`]) });
  const paramsHint = h('p', { class: 'hint', 'aria-live': 'polite' });
  tpl.wrap.append(paramsHint);
  const file = field(t('bc.f_file'), { name: 'file', type: 'file', accept: '.csv,text/csv' }, t('bc.h_file'));
  const pasted = field(t('bc.f_csv'), { name: 'csv', rows: '6', class: 'mono', spellcheck: 'false' }, t('bc.h_csv'), { tag: 'textarea' });
  const sendAt = field(t('bc.f_send_at'), { name: 'send_at', type: 'datetime-local' }, t('bc.h_send_at'));
  const expiresAt = field(t('bc.f_expires_at'), { name: 'expires_at', type: 'datetime-local' }, t('bc.h_expires_at'));
  const skip = field(t('bc.f_skip_invalid'), { type: 'checkbox', name: 'skip_invalid' }, t('bc.h_skip_invalid'));
  const rejectedBox = h('div', { 'aria-live': 'polite' });
  const showHint = () => {
    const names = bodyParams(tpls[Number(tpl.input.value)]);
    const columns = ['to', ...names.map((n, i) => `param${i + 1}`)].join(',');
    replace(paramsHint, names.length ? t('bc.params_hint', { n: names.length }) : t('bc.params_none'), ' ', h('code', null, columns));
    pasted.input.placeholder = names.length ? `to,${names.map((n, i) => `param${i + 1}`).join(',')}\n+15551234567,${names.map((n) => `…`).join(',')}` : 'to\n+15551234567';
  };
  tpl.input.addEventListener('change', showHint);
  showHint();

  const f = form({
    children: [name.wrap, tpl.wrap,
      h('fieldset', { class: 'stack' }, h('legend', null, t('bc.recipients')), file.wrap, pasted.wrap),
      sendAt.wrap, expiresAt.wrap, skip.wrap, rejectedBox],
    submit: t('bc.submit'),
    fields: { name: name.input, template: tpl.input, csv: pasted.input, send_at: sendAt.input, expires_at: expiresAt.input, skip_invalid: skip.input },
    aliases: { 'template.name': 'template', 'template.language': 'template', recipients: 'csv' },
    onSubmit: async (v) => {
      replace(rejectedBox);
      const upload = file.input.files?.[0];
      if (upload && upload.size > MAX_CSV_BYTES) { showFieldError(file.input, t('bc.file_too_large')); file.input.focus(); return; }
      const text = upload ? await upload.text() : v.csv;
      const csvInput = upload ? file.input : pasted.input;
      if (!text.trim()) { showFieldError(pasted.input, t('bc.csv_missing')); pasted.input.focus(); return; }
      const csv = parseCsv(text);
      if (csv.error) { showFieldError(csvInput, t(`bc.csv_${csv.error}`, { line: csv.line })); csvInput.focus(); return; }
      const read = toRecipients(csv);
      if (read.error) { showFieldError(csvInput, t('bc.csv_duplicate_column', { column: read.column })); csvInput.focus(); return; }
      const { recipients, lines, local: bad } = read;
      const local = bad.map((r) => ({ row: r.row, field: '', detail: t('bc.csv_columns', { n: r.columns, header: r.header }) }));
      if (local.length && !v.skip_invalid) {
        replace(rejectedBox, rejectedList(local, local.length, false));
        skip.input.focus();
        return;
      }
      if (!recipients.length) { showFieldError(csvInput, t('bc.csv_empty')); csvInput.focus(); return; }
      const chosen = tpls[Number(v.template)];
      const body = { template: { name: chosen.name, language: chosen.language }, recipients, skip_invalid: v.skip_invalid };
      if (v.name.trim()) body.name = v.name.trim();
      if (v.send_at) body.send_at = localMs(v.send_at);
      if (v.expires_at) body.expires_at = localMs(v.expires_at);
      let b;
      try {
        b = await post(`/v1/instances/${enc(id)}/broadcasts`, body);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'recipients_rejected') {
          const rows = [...local, ...byLine(e.problem.rejected || [], lines)].sort((a, c) => a.row - c.row);
          replace(rejectedBox, rejectedList(rows, (e.problem.rejected_count || 0) + local.length, e.problem.rejected_truncated));
          skip.input.focus();
          return;
        }
        throw e;
      }
      const skipped = (b.skipped_invalid || 0) + local.length;
      toast(skipped ? t('bc.created_skipped', { n: b.recipients, skipped }) : t('bc.created', { n: b.recipients }));
      navigate(`/broadcasts/${enc(b.id)}`);
    },
  });
  return frame(h('p', { class: 'muted' }, t('bc.create_intro')), card(null, f));
}

// ---- one broadcast ----

const COUNTS = ['queued', 'sent', 'delivered', 'read', 'failed', 'expired', 'cancelled', 'skipped_opted_out'];

async function countsEl(b) {
  const c = b.counts || {};
  const table_ = await metaErrorTable();
  const codes = Object.entries(c.failed_by_code || {});
  return h('div', null,
    h('dl', { class: 'counts', 'data-testid': 'broadcast-counts' }, ...COUNTS.map((k) => h('div', { class: 'count', 'data-count': k },
      h('dt', null, t(`bc.count_${k}`)), h('dd', null, String(c[k] ?? 0))))),
    codes.length ? h('ul', { class: 'small', 'data-testid': 'failed-by-code' }, ...codes.map(([code, n]) => {
      const m = table_.get(Number(code));
      return h('li', null, t('bc.failed_code', { n, code }), m ? ` ${m.title}: ${m.explanation} ${m.action}` : '');
    })) : null);
}

export async function detail({ params, onLeave }) {
  const bid = params.id;
  let b = await get(`/v1/broadcasts/${enc(bid)}`);
  const inst = await get(`/v1/instances/${enc(b.instance_id)}`);
  const head = h('div');
  const body = h('div');
  const controls = h('div', { class: 'row actions' });
  const live = h('p', { class: 'sr-only', role: 'status' });

  const control = (what, text, confirm) => {
    const btn = h('button', { type: 'button', class: what === 'cancel' ? 'btn btn-danger' : 'btn' }, text);
    btn.addEventListener('click', async () => {
      if (confirm && !await confirmDialog(confirm)) return;
      // The button is disabled while the request runs, which takes the focus from it: the next
      // action gets it afterwards.
      const next = await act(btn, () => post(`/v1/broadcasts/${enc(bid)}/${what}`), t(`bc.${what}_done`));
      if (next) { b = next; await draw(true); }
    });
    return btn;
  };

  // Counts redraw on every update; the heading and the buttons only when the state changes, so a
  // keyboard user's focus stays put (and moves to the next action after using one).
  let drawnState = null;
  async function draw(acted = false) {
    if (b.state !== drawnState) {
      const hadFocus = acted || controls.contains(document.activeElement);
      drawnState = b.state;
      replace(head, heading(b.name || b.id, stateBadge(b.state)));
      drawControls();
      if (hadFocus) (controls.querySelector('button') || controls.querySelector('a'))?.focus();
    }
    replace(body,
      progressEl(b),
      await countsEl(b),
      h('dl', { class: 'props' },
        h('dt', null, t('bc.template')), h('dd', { class: 'mono' }, `${b.template.name} (${b.template.language})`),
        h('dt', null, t('bc.recipients')), h('dd', null, String(b.recipients)),
        b.skipped_invalid ? [h('dt', null, t('bc.skipped_invalid')), h('dd', null, String(b.skipped_invalid))] : null,
        h('dt', null, t('bc.send_at')), h('dd', null, b.send_at ? when(b.send_at) : t('bc.now')),
        h('dt', null, t('bc.expires_at')), h('dd', null, b.expires_at ? when(b.expires_at) : t('bc.no_expiry')),
        h('dt', null, t('bc.started')), h('dd', null, b.started_at ? when(b.started_at) : t('bc.not_yet')),
        h('dt', null, t('bc.finished')), h('dd', null, b.finished_at ? when(b.finished_at) : t('bc.not_yet'))));
  }

  function drawControls() {
    const open = b.state !== 'finished' && b.state !== 'cancelled';
    replace(controls,
      b.state === 'running' ? control('pause', t('bc.pause')) : null,
      b.state === 'paused' ? control('resume', t('bc.resume')) : null,
      open ? control('cancel', t('bc.cancel'), { title: t('bc.cancel_title'), text: t('bc.cancel_text'), confirm: t('bc.cancel') }) : null,
      h('a', { class: 'btn', href: `/v1/broadcasts/${enc(bid)}/recipients`, download: `${bid}.csv` }, t('bc.export')));
  }
  await draw();

  const refetch = debounce(async () => {
    try { b = await get(`/v1/broadcasts/${enc(bid)}`, null, { noBanner: true }); await draw(); } catch { /* the next event retries */ }
  }, 300);
  onLeave(refetch.cancel);
  onLeave(onFeed((ev) => {
    const d = ev.data || {};
    if (ev.type?.startsWith('broadcast.') && d.broadcast_id === bid) {
      // The event carries the counts (as raw statuses): no request needed.
      b = { ...b, state: d.state ?? b.state, counts: d.counts ? countsFromEvent(d.counts) : b.counts };
      draw();
      if (ev.type === 'broadcast.finished') { live.textContent = t('bc.finished_live'); refetch(); }
      return;
    }
    // Statuses of its messages (delivered, read) come after the broadcast's own events.
    if (ev.type === 'feed.resync' || (ev.type?.startsWith('message.') && ev.instance_id === b.instance_id)) refetch();
  }));
  return h('div', null,
    crumbs(b.instance_id, inst, ' / ', h('a', { href: `/instances/${enc(b.instance_id)}/broadcasts` }, t('bc.title'))),
    head, controls, card(t('bc.progress_title'), body), live);
}
