// pages/instances.js: the instance list, the connect form (five Meta fields with help on where
// Meta's dashboard shows each, and a warning when a phone number is typed as the Phone Number
// ID), and the instance page (callback URL + verify token to paste into Meta, re-auth, media
// fetch, sandbox controls in dev mode, delete).
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, patch, del, enc } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { session } from '../lib/session.js';
import { heading, card, empty, field, form, toast, act, copyField, confirmDialog, statusBadge, when, describe, keepFocus, showFieldError } from '../lib/ui.js';
import { webhooksCard } from './instance_health.js';

export function instanceLinks(id) {
  const link = (path, text) => {
    const href = `/instances/${enc(id)}/${path}`;
    return h('a', { class: 'btn btn-small', href, 'aria-current': location.pathname === href ? 'page' : null }, text);
  };
  return h('nav', { class: 'row', 'aria-label': t('inst.sections') },
    link('conversations', t('nav.conversations')), link('messages', t('nav.messages')), link('hooks', t('nav.hooks')),
    link('optouts', t('nav.optouts')), link('templates', t('nav.templates')), link('broadcasts', t('nav.broadcasts')));
}

function sandboxButton() {
  if (!session.providers.sandbox) return null;
  const b = h('button', { type: 'button', class: 'btn' }, t('inst.sandbox_create'));
  b.addEventListener('click', () => act(b, async () => {
    const inst = await post('/v1/dev/sandbox-instance');
    toast(t('inst.sandbox_created'));
    navigate(`/instances/${enc(inst.id)}`);
  }));
  return b;
}

export async function list() {
  const r = await get('/v1/instances', { limit: 100 });
  const items = r.data || [];
  if (!items.length) {
    // The empty state carries the actions (once: tests and screen readers find one of each).
    return h('div', null, heading(t('inst.title')), empty(t('inst.empty_title'), t('inst.empty_text'),
      h('a', { class: 'btn btn-primary', href: '/instances/new' }, t('inst.connect')), sandboxButton()));
  }
  const head = heading(t('inst.title'), h('div', { class: 'row' }, sandboxButton(),
    h('a', { class: 'btn btn-primary', href: '/instances/new' }, t('inst.connect'))));
  return h('div', null, head, h('ul', { class: 'instance-cards', role: 'list' }, ...items.map((i) => h('li', null,
    h('a', { class: 'card instance-card', href: `/instances/${enc(i.id)}` },
      h('h2', null, i.name || i.verified_name || i.id, statusBadge(i.status)),
      h('div', { class: 'muted' }, [i.display_phone_number, i.verified_name].filter(Boolean).join(' · ') || i.phone_number_id),
      h('div', { class: 'stat' },
        h('span', null, t('inst.throughput'), ' ', h('b', null, t('inst.mps', { n: i.throughput?.messages_per_second ?? '—' }))),
        i.quality_rating ? h('span', null, t('inst.quality'), ' ', h('b', null, i.quality_rating)) : null))))));
}

// Meta's ids are 15–16 digits; a phone number is at most 15 digits and is usually typed with
// a + or spaces. Says which mistake it looks like, or nothing.
export function phoneNumberIdWarning(value) {
  const v = value.trim();
  if (!v) return '';
  if (/[+\s()-]/.test(v) && /\d/.test(v)) return t('inst.pnid_looks_like_phone');
  if (/^\d+$/.test(v) && v.length < 15) return t('inst.pnid_too_short', { n: v.length });
  return '';
}

const META_FIELDS = ['phone_number_id', 'waba_id', 'app_id', 'access_token', 'app_secret'];

export function create() {
  const name = field(t('inst.f_name'), { name: 'name', required: true, maxlength: '100', placeholder: t('inst.f_name_ph') }, t('inst.h_name'));
  const f = {};
  const inputs = { name: name.input };
  for (const k of META_FIELDS) {
    const secret = k === 'access_token' || k === 'app_secret';
    f[k] = field(t(`inst.f_${k}`), { name: k, required: true, autocomplete: 'off', spellcheck: 'false', class: 'mono',
      inputmode: secret ? null : 'numeric', type: secret ? 'password' : 'text' }, t(`inst.h_${k}`));
    inputs[k] = f[k].input;
  }
  const media = field(t('inst.f_media_fetch'), { type: 'checkbox', name: 'media_fetch' }, t('inst.h_media_fetch'));
  inputs.media_fetch = media.input;
  // The phone-number check speaks as the user types (in the hint, which is read with the field).
  const pn = f.phone_number_id;
  const warn = h('div', { class: 'hint warn', id: `${pn.input.id}-warn`, 'aria-live': 'polite' });
  pn.wrap.insertBefore(warn, pn.wrap.querySelector('.field-error'));
  pn.input.setAttribute('aria-describedby', `${pn.input.getAttribute('aria-describedby')} ${warn.id}`);
  pn.input.addEventListener('input', () => { warn.textContent = phoneNumberIdWarning(pn.input.value); });

  const fm = form({
    children: [name.wrap,
      h('fieldset', { class: 'stack' }, h('legend', null, t('inst.meta_legend')),
        h('p', { class: 'hint' }, t('inst.meta_intro')), ...META_FIELDS.map((k) => f[k].wrap)),
      media.wrap],
    submit: t('inst.connect_submit'),
    fields: inputs,
    onSubmit: async (v) => {
      const inst = await post('/v1/instances', v);
      toast(t('inst.connected', { name: inst.name }));
      navigate(`/instances/${enc(inst.id)}`);
    },
  });
  return h('div', null, h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title'))),
    heading(t('inst.connect_title')), h('div', { class: 'card' }, fm));
}

export async function detail({ params }) {
  const id = params.id;
  let inst = await get(`/v1/instances/${enc(id)}`);
  const root = h('div');
  const draw = () => keepFocus(root, () => replace(root, ...body(inst, (next) => { inst = next; draw(); })));
  draw();
  return root;
}

function body(inst, update) {
  const id = inst.id;
  const out = [h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title'))),
    heading(inst.name || inst.id, statusBadge(inst.status),
      h('p', { class: 'sub' }, [inst.display_phone_number, inst.verified_name].filter(Boolean).join(' · '))),
    instanceLinks(id)];
  if (inst.status === 'needs_reauth') out.push(reauth(inst, update));
  out.push(h('div', { class: 'grid' },
    card(t('inst.webhook_title'), h('p', { class: 'muted small' }, t('inst.webhook_help')),
      copyField(t('inst.callback_url'), inst.webhook?.callback_url || ''),
      copyField(t('inst.verify_token'), inst.webhook?.verify_token || '')),
    card(t('inst.details'), h('dl', { class: 'props' },
      h('dt', null, t('inst.f_phone_number_id')), h('dd', { class: 'mono' }, inst.phone_number_id),
      h('dt', null, t('inst.f_waba_id')), h('dd', { class: 'mono' }, inst.waba_id),
      h('dt', null, t('inst.f_app_id')), h('dd', { class: 'mono' }, inst.app_id),
      h('dt', null, t('inst.throughput')), h('dd', null, t('inst.mps', { n: inst.throughput?.messages_per_second ?? '—' }), inst.throughput?.level ? ` (${inst.throughput.level})` : ''),
      h('dt', null, t('inst.quality')), h('dd', null, inst.quality_rating || '—'),
      h('dt', null, t('inst.verified_at')), h('dd', null, when(inst.verified_at)),
      inst.status_reason ? [h('dt', null, t('inst.status_reason')), h('dd', null, inst.status_reason)] : null),
    verifyButton(inst, update))));
  out.push(webhooksCard(inst));
  out.push(settingsCard(inst, update));
  if (session.providers.sandbox && isSandbox(inst)) out.push(simulate(inst));
  out.push(dangerCard(inst));
  return out;
}

// Sandbox numbers belong to the fake Graph API's WABA and carry its verified name.
const isSandbox = (inst) => inst.waba_id === '102290129340398' || inst.verified_name === 'Enfinito Sandbox';

function verifyButton(inst, update) {
  const b = h('button', { type: 'button', class: 'btn' }, t('inst.verify'));
  b.addEventListener('click', () => act(b, async () => {
    await post(`/v1/instances/${enc(inst.id)}/verify`);
    update(await get(`/v1/instances/${enc(inst.id)}`));
    toast(t('inst.verified'));
  }));
  return h('div', { class: 'actions' }, b);
}

function reauth(inst, update) {
  const tok = field(t('inst.f_access_token'), { type: 'password', name: 'access_token', required: true, autocomplete: 'off', class: 'mono' }, t('inst.h_access_token'));
  const f = form({
    children: [tok.wrap], submit: t('inst.reauth_submit'), fields: { access_token: tok.input },
    onSubmit: async (v) => {
      const next = await patch(`/v1/instances/${enc(inst.id)}`, v);
      toast(t('inst.reauth_done'));
      update(next);
    },
  });
  return h('section', { class: 'card notice-warn', 'aria-labelledby': 'reauth-h' },
    h('h2', { id: 'reauth-h' }, t('inst.reauth_title')), h('p', null, t('inst.reauth_text')), f);
}

function settingsCard(inst, update) {
  const media = field(t('inst.f_media_fetch'), { type: 'checkbox', name: 'media_fetch', checked: !!inst.media_fetch }, t('inst.h_media_fetch'));
  media.input.addEventListener('change', async () => {
    media.input.disabled = true;
    try {
      update(await patch(`/v1/instances/${enc(inst.id)}`, { media_fetch: media.input.checked }));
      toast(media.input.checked ? t('inst.media_on') : t('inst.media_off'));
    } catch (e) {
      media.input.checked = !media.input.checked;
      toast(await describe(e), 'error');
    } finally { media.input.disabled = false; }
  });
  const disabled = inst.status === 'disabled';
  const toggle = h('button', { type: 'button', class: 'btn' }, disabled ? t('inst.enable') : t('inst.disable'));
  toggle.addEventListener('click', () => act(toggle, async () => {
    update(await patch(`/v1/instances/${enc(inst.id)}`, { status: disabled ? 'active' : 'disabled' }));
  }));
  const name = field(t('inst.f_name'), { name: 'name', required: true, maxlength: '100', value: inst.name || '' });
  const rename = form({ children: [name.wrap], submit: t('common.save'), fields: { name: name.input },
    onSubmit: async (v) => { update(await patch(`/v1/instances/${enc(inst.id)}`, v)); toast(t('common.saved')); } });
  return card(t('inst.settings'), media.wrap, windowPolicy(inst, update), rename, h('div', { class: 'actions' }, toggle));
}

// The 24-hour window policy (PATCH {window_policy}). An API that refuses the field (an older
// daemon) leaves the select as it was and says why under it.
const WINDOW_POLICIES = ['auto', 'reject', 'warn', 'off'];

function windowPolicy(inst, update) {
  const known = WINDOW_POLICIES.includes(inst.window_policy);
  const sel = field(t('inst.f_window_policy'), { name: 'window_policy', value: known ? inst.window_policy : 'auto' }, t('inst.h_window_policy'),
    { tag: 'select', options: WINDOW_POLICIES.map((p) => [p, t(`inst.window_${p}`)]) });
  let current = sel.input.value;
  sel.input.addEventListener('change', async () => {
    const slot = document.getElementById(`${sel.input.id}-err`);
    sel.input.removeAttribute('aria-invalid');
    slot.replaceChildren();
    sel.input.disabled = true;
    try {
      const next = await patch(`/v1/instances/${enc(inst.id)}`, { window_policy: sel.input.value });
      current = sel.input.value;
      toast(t('inst.window_saved', { policy: t(`inst.window_${current}`) }));
      if (next?.window_policy !== undefined) update(next);
    } catch (e) {
      sel.input.value = current;
      // An older daemon does not know the field yet: say so in words, with its answer.
      const unsupported = e.code === 'unknown_field' && e.field === 'window_policy';
      showFieldError(sel.input, unsupported ? `${t('inst.window_unsupported')} (${await describe(e, true)})` : await describe(e, true));
    } finally { sel.input.disabled = false; }
  });
  // Under `auto` the daemon says which rule applies today (window_policy_effective).
  if (inst.window_policy_effective) {
    const now = h('div', { class: 'hint', id: `${sel.input.id}-now`, 'data-testid': 'window-policy-now' },
      t('inst.window_now', { policy: t(`inst.window_now_${inst.window_policy_effective}`) }));
    sel.wrap.insertBefore(now, sel.wrap.querySelector('.field-error'));
    sel.input.setAttribute('aria-describedby', `${sel.input.getAttribute('aria-describedby')} ${now.id}`);
  }
  return sel.wrap;
}

function simulate(inst) {
  const from = field(t('sim.from'), { name: 'from', required: true, value: '4915112345678', inputmode: 'tel', class: 'mono' }, t('sim.from_hint'));
  const name = field(t('sim.name'), { name: 'name', value: 'Ada' });
  const text = field(t('sim.text'), { name: 'text', required: true, value: t('sim.text_default') });
  const f = form({
    children: [from.wrap, name.wrap, text.wrap], submit: t('sim.submit'),
    fields: { from: from.input, name: name.input, text: text.input },
    onSubmit: async (v) => {
      await post(`/v1/dev/instances/${enc(inst.id)}/inbound`, v);
      toast(t('sim.sent'));
    },
  });
  return h('section', { class: 'card', 'aria-labelledby': 'sim-h' }, h('h2', { id: 'sim-h' }, t('sim.title')),
    h('p', { class: 'muted small' }, t('sim.help')), f,
    h('p', { class: 'small' }, h('a', { href: `/instances/${enc(inst.id)}/conversations/${enc(from.input.value)}` }, t('sim.open'))));
}

function dangerCard(inst) {
  const b = h('button', { type: 'button', class: 'btn btn-danger' }, t('inst.delete'));
  b.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: t('inst.delete_title', { name: inst.name || inst.id }), text: t('inst.delete_text'), confirm: t('inst.delete_confirm') });
    if (!ok) return;
    await act(b, async () => {
      await del(`/v1/instances/${enc(inst.id)}`);
      toast(t('inst.deleted'));
      navigate('/instances');
    });
  });
  return card(t('inst.danger'), h('p', { class: 'muted' }, t('inst.delete_help')), b);
}

