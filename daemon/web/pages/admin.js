// pages/admin.js: administrators only: sign-ups awaiting approval, every user with
// approve / reject / suspend / reinstate, and the audit log with filters.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, enc, ApiError } from '../lib/api.js';
import { setQuery } from '../lib/router.js';
import { session } from '../lib/session.js';
import { heading, empty, field, form, act, statusBadge, badge, when, table, pre } from '../lib/ui.js';

const ACTIONS = { pending: ['approve', 'reject'], active: ['suspend'], suspended: ['reinstate'], rejected: [] };

export async function users({ query }) {
  const status = field(t('admin.show'), { name: 'status', value: query.get('status') ?? 'pending' }, null,
    { tag: 'select', options: [['pending', t('status.pending')], ['active', t('status.active')], ['suspended', t('status.suspended')], ['rejected', t('status.rejected')], ['', t('admin.all')]] });
  const listEl = h('div', { 'aria-live': 'polite' });
  async function load() {
    const r = await get('/v1/admin/users', { status: status.input.value });
    const rows = r.users || r.data || [];
    replace(listEl, rows.length ? table(t('admin.users_caption'), [t('field.name'), t('field.email'), t('admin.role'), t('admin.status'), t('admin.since'), h('span', { class: 'sr-only' }, t('common.actions'))],
      rows.map((u) => h('tr', null, h('td', null, u.name), h('td', null, u.email), h('td', null, u.role === 'admin' ? badge(t('admin.admin'), 'ok') : t('admin.user')),
        h('td', null, statusBadge(u.status)), h('td', null, when(u.created_at)),
        h('td', null, h('div', { class: 'row' }, ...(u.id === session.me?.id ? [] : (ACTIONS[u.status] || [])).map((a) => {
          const b = h('button', { type: 'button', class: `btn btn-small ${a === 'reject' || a === 'suspend' ? 'btn-danger' : 'btn-primary'}` }, t(`admin.${a}`), h('span', { class: 'sr-only' }, ` ${u.email}`));
          b.addEventListener('click', () => act(b, async () => { await post(`/v1/admin/users/${enc(u.id)}/${a}`); await load(); }, t(`admin.${a}_done`, { email: u.email })));
          return b;
        })))))) : empty(status.input.value === 'pending' ? t('admin.no_pending') : t('admin.no_users'), status.input.value === 'pending' ? t('admin.no_pending_text') : null));
  }
  status.input.addEventListener('change', () => { setQuery({ status: status.input.value }); load(); });
  await load();
  return h('div', null, heading(t('admin.users_title')), h('div', { class: 'card filters' }, status.wrap), listEl);
}

export async function audit({ query }) {
  const user = field(t('admin.user_id'), { name: 'user', value: query.get('user') || '', class: 'mono' });
  const action = field(t('admin.action'), { name: 'action', value: query.get('action') || '', class: 'mono', placeholder: 'signin_failed' });
  const listEl = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
  more.hidden = true;
  let rows = [];
  let cursor = null;
  async function load(append) {
    let r;
    try {
      r = await get('/v1/admin/audit', { limit: 50, cursor: append ? cursor : null, user: user.input.value.trim(), action: action.input.value.trim() });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { replace(listEl, empty(t('admin.audit_unavailable'), null)); return; }
      throw e;
    }
    rows = append ? rows.concat(r.data) : r.data;
    cursor = r.next_cursor;
    more.hidden = !cursor;
    replace(listEl, rows.length ? table(t('admin.audit_caption'), [t('admin.at'), t('admin.action'), t('admin.actor'), t('admin.subject'), t('admin.ip'), t('admin.detail')],
      rows.map((a) => h('tr', null, h('td', null, when(a.at)), h('td', { class: 'mono' }, a.action), h('td', { class: 'mono small' }, a.actor_user_id || '—'),
        h('td', { class: 'mono small' }, a.subject_user_id || '—'), h('td', { class: 'mono small' }, a.client_ip || '—'),
        h('td', null, a.detail && Object.keys(a.detail).length ? h('details', null, h('summary', { class: 'small' }, t('admin.show_detail')), pre(a.detail)) : '—'))))
      : empty(t('admin.audit_empty'), null));
  }
  const f = form({ children: [h('div', { class: 'filters' }, user.wrap, action.wrap)], submit: t('log.apply'), fields: { user: user.input, action: action.input },
    onSubmit: async (v) => { setQuery(v); await load(false); } });
  more.addEventListener('click', () => act(more, () => load(true)));
  await load(false);
  return h('div', null, heading(t('admin.audit_title')), h('section', { class: 'card', 'aria-label': t('log.filters') }, f), listEl, h('div', { class: 'actions' }, more));
}
