// pages/security.js: the account's security page (/settings/security): the TOTP second factor
// (enrol with the QR code, the otpauth:// URI or the base32 secret, confirm with a code, the recovery codes
// shown once, remove with a code) and the user's own audit log (GET /v1/me/audit).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, del, ApiError } from '../lib/api.js';
import { auth } from '../lib/session.js';
import { heading, card, field, form, toast, copyField, badge, when, table, empty, act, pre } from '../lib/ui.js';

export async function security() {
  const st = await get('/v1/me/totp');
  // An administrator's enrolment-only session reads nothing else until a factor is confirmed.
  const restricted = st.required && !st.enrolled;
  return h('div', null, heading(t('sec.title')), factorCard(st), restricted ? null : await activityCard());
}

function factorCard(first) {
  const box = h('div');
  const draw = async (st) => {
    st = st || await get('/v1/me/totp');
    if (st.enrolled) replace(box, enrolledView(st, () => draw()));
    else replace(box, startView(st, () => draw()));
  };
  draw(first);
  return card(t('sec.factor'), box);
}

function startView(st, redraw) {
  const b = h('button', { type: 'button', class: 'btn btn-primary' }, t('sec.enrol'));
  const out = h('div');
  b.addEventListener('click', () => act(b, async () => {
    const e = await post('/v1/me/totp', {});
    b.hidden = true;
    replace(out, confirmView(e, redraw, st.required));
    out.querySelector('input')?.focus();
  }));
  return h('div', null,
    st.required ? h('p', { class: 'notice', role: 'status' }, t('sec.required')) : null,
    h('p', null, t('sec.none')), b, out);
}

// The secret, shown once (as a QR code, the key and the link), and the first code that confirms it.
function confirmView(e, redraw, forced) {
  const code = field(t('sec.code'), { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: '6', pattern: '[0-9]{6}' }, t('sec.code_hint'));
  const codes = h('div');
  const f = form({
    children: [code.wrap], submit: t('sec.confirm'), fields: { code: code.input },
    onSubmit: async (v) => {
      const r = await post('/v1/me/totp/confirm', v);
      f.hidden = true;
      replace(codes, recoveryView(r.recovery_codes, redraw, forced));
      toast(t('sec.enrolled'));
    },
  });
  // The QR code comes from the server, same-origin (the CSP allows no data: URI), only to this
  // session and only until confirmed; the key beside it is for typing by hand.
  const qr = h('img', { src: `/v1/me/totp/qr.svg?t=${Date.now()}`, alt: t('sec.qr_alt'), width: '216', height: '216' });
  qr.addEventListener('error', () => qr.replaceWith(h('p', { class: 'muted small' }, t('sec.qr_unavailable'))));
  return h('div', null, h('p', null, t('sec.scan_qr')),
    h('div', { class: 'actions totp-enrol' }, qr, copyField(t('sec.secret'), e.secret)),
    copyField(t('sec.uri'), e.otpauth_uri, { multiline: true }), f, codes);
}

// `forced`: an administrator's enrolment-only session, which may now go everywhere.
function recoveryView(list, redraw, forced) {
  const done = h('button', { type: 'button', class: 'btn btn-primary' }, t('sec.saved_codes'));
  done.addEventListener('click', async () => {
    if (forced) await auth.signedIn(null);
    else await redraw();
  });
  return h('div', null, h('p', { class: 'notice' }, t('sec.codes_once')),
    copyField(t('sec.recovery_codes'), list.join('\n'), { multiline: true }), h('div', { class: 'actions' }, done));
}

function enrolledView(st, redraw) {
  const code = field(t('sec.code_or_recovery'), { name: 'code', autocomplete: 'one-time-code', required: true, maxlength: '11' });
  const f = form({
    children: [code.wrap], submit: t('sec.remove'), fields: { code: code.input },
    onSubmit: async (v) => {
      await del('/v1/me/totp', v);
      toast(t('sec.removed'));
      await redraw();
    },
  });
  return h('div', null, h('p', null, badge(t('sec.on'), 'ok'), ' ', t('sec.codes_left', { n: String(st.recovery_codes_left) })),
    st.required ? h('p', { class: 'muted small' }, t('sec.required_admin')) : null, f);
}

async function activityCard() {
  const listEl = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
  more.hidden = true;
  let rows = [];
  let cursor = null;
  async function load(append) {
    let r;
    try {
      r = await get('/v1/me/audit', { limit: 50, cursor: append ? cursor : null });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { replace(listEl, empty(t('sec.activity_unavailable'), null)); return; }
      throw e;
    }
    rows = append ? rows.concat(r.data) : r.data;
    cursor = r.next_cursor;
    more.hidden = !cursor;
    replace(listEl, rows.length ? table(t('sec.activity'), [t('admin.at'), t('admin.action'), t('admin.ip'), t('admin.detail')],
      rows.map((a) => h('tr', null, h('td', null, when(a.at)), h('td', { class: 'mono' }, a.action), h('td', { class: 'mono small' }, a.client_ip || '—'),
        h('td', null, a.detail && Object.keys(a.detail).length ? h('details', null, h('summary', { class: 'small' }, t('admin.show_detail')), pre(a.detail)) : '—'))))
      : empty(t('admin.audit_empty'), null));
  }
  more.addEventListener('click', () => act(more, () => load(true)));
  await load(false);
  return card(t('sec.activity'), h('p', { class: 'muted small' }, t('sec.activity_help')), listEl, h('div', { class: 'actions' }, more));
}
