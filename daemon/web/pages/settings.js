// pages/settings.js: the account: name and email, password, Google link, export, active
// sessions (sign out any of them), and deleting the account with the password.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, patch, del, enc, ApiError } from '../lib/api.js';
import { session, auth } from '../lib/session.js';
import { heading, card, field, form, toast, act, confirmDialog, badge, when, table, describe } from '../lib/ui.js';

export async function settings() {
  const me = session.me;
  return h('div', null, heading(t('set.title')),
    h('div', { class: 'grid' }, profileCard(me), passwordCard(me)),
    card(t('sec.title'), h('p', null, t('sec.settings_text')), h('a', { class: 'btn', href: '/settings/security' }, t('sec.open'))),
    await googleCard(me), await sessionsCard(), exportCard(), deleteCard(me));
}

function profileCard(me) {
  const name = field(t('field.name'), { name: 'name', required: true, maxlength: '100', value: me.name, autocomplete: 'name' });
  const email = field(t('field.email'), { type: 'email', name: 'email', required: true, value: me.email, autocomplete: 'email' });
  const cur = field(t('field.current_password'), { type: 'password', name: 'current_password', autocomplete: 'current-password' }, t('set.email_needs_password'));
  const f = form({
    children: [name.wrap, email.wrap, cur.wrap], submit: t('common.save'),
    fields: { name: name.input, email: email.input, current_password: cur.input },
    onSubmit: async (v) => {
      const body = {};
      if (v.name !== session.me.name) body.name = v.name;
      if (v.email !== session.me.email) { body.email = v.email; body.current_password = v.current_password; }
      if (!Object.keys(body).length) { toast(t('set.nothing')); return; }
      session.me = await patch('/v1/me', body);
      cur.input.value = '';
      toast(t('common.saved'));
    },
  });
  return card(t('set.profile'), f);
}

function passwordCard(me) {
  const cur = field(t('field.current_password'), { type: 'password', name: 'current_password', required: true, autocomplete: 'current-password' });
  const next = field(t('field.new_password'), { type: 'password', name: 'new_password', required: true, minlength: '8', autocomplete: 'new-password' }, t('auth.password_hint'));
  const f = form({
    children: [userHint(me), cur.wrap, next.wrap], submit: t('set.change_password'),
    fields: { current_password: cur.input, new_password: next.input },
    onSubmit: async (v) => {
      await post('/v1/me/password', v);
      cur.input.value = next.input.value = '';
      toast(t('set.password_changed'));
    },
  });
  return card(t('set.password'), me.has_password === false ? h('p', { class: 'muted' }, t('set.no_password')) : f);
}

async function googleCard() {
  if (!session.providers.google) return null;
  let linked = null;
  try { linked = await get('/v1/me/google'); } catch (e) { if (!(e instanceof ApiError) || e.status !== 404) throw e; }
  const box = h('div');
  if (linked) {
    const b = h('button', { type: 'button', class: 'btn' }, t('set.google_unlink'));
    b.addEventListener('click', () => act(b, async () => { await del('/v1/me/google'); replace(box, h('p', null, t('set.google_unlinked'))); }, t('set.google_unlinked')));
    replace(box, h('p', null, t('set.google_linked', { email: linked.email })), b);
  } else {
    const b = h('button', { type: 'button', class: 'btn' }, t('set.google_link'));
    b.addEventListener('click', () => act(b, async () => {
      const r = await post('/v1/me/google/link');
      if (r?.authorization_url) location.assign(r.authorization_url);
    }));
    replace(box, h('p', { class: 'muted' }, t('set.google_none')), b);
  }
  return card(t('set.google'), box);
}

async function sessionsCard() {
  let r;
  try { r = await get('/v1/me/sessions'); } catch (e) {
    if (e instanceof ApiError && e.status === 404) return card(t('set.sessions'), h('p', { class: 'muted' }, t('set.sessions_unavailable')));
    return card(t('set.sessions'), h('p', { class: 'form-error' }, await describe(e)));
  }
  const rows = r.data || [];
  const el = h('div');
  const draw = () => replace(el, table(t('set.sessions'), [t('set.s_started'), t('set.s_seen'), t('set.s_where'), h('span', { class: 'sr-only' }, t('common.actions'))],
    rows.map((s) => {
      let action;
      if (s.current) action = badge(t('set.s_current'), 'ok');
      else {
        action = h('button', { type: 'button', class: 'btn btn-small' }, t('set.s_signout'));
        action.addEventListener('click', () => act(action, async () => {
          await del(`/v1/me/sessions/${enc(s.id)}`);
          rows.splice(rows.indexOf(s), 1);
          draw();
        }, t('set.s_signed_out')));
      }
      return h('tr', null, h('td', null, when(s.created_at)), h('td', null, when(s.last_seen_at)),
        h('td', { class: 'small' }, [s.client_address, s.method].filter(Boolean).join(' · ') || '—'), h('td', null, action));
    })));
  draw();
  return card(t('set.sessions'), h('p', { class: 'muted small' }, t('set.sessions_help')), el);
}

// Password managers (and Chrome's checks) expect the account name in every password form.
const userHint = (me) => h('input', { type: 'email', name: 'username', autocomplete: 'username', value: me.email, hidden: true, tabindex: '-1', 'aria-hidden': 'true' });

const exportCard = () => card(t('set.export'), h('p', { class: 'muted' }, t('set.export_text')),
  h('a', { class: 'btn', href: '/v1/me/export', download: 'enfinito-export.json' }, t('set.export_download')));

function deleteCard(me) {
  const pw = field(t('field.password'), { type: 'password', name: 'password', autocomplete: 'current-password', required: me.has_password !== false });
  const f = form({
    children: [h('p', null, t('set.delete_text')), userHint(me), me.has_password === false ? null : pw.wrap], submit: t('set.delete'),
    fields: { password: pw.input },
    onSubmit: async (v) => {
      if (!await confirmDialog({ title: t('set.delete_title'), text: t('set.delete_confirm_text'), confirm: t('set.delete') })) return;
      await del('/v1/me', me.has_password === false ? undefined : { password: v.password });
      toast(t('set.deleted'));
      auth.signedOut();
    },
  });
  f.submitButton.className = 'btn btn-danger';
  return h('section', { class: 'card', 'aria-labelledby': 'danger-h' }, h('h2', { id: 'danger-h' }, t('set.danger')), f);
}
