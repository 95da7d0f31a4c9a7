// pages/instance_health.js: the instance page's "Webhooks from Meta" card: when Meta's last
// webhook arrived (or never), whether statuses stopped coming, the app's subscription to the
// WABA (with the callback override), what the token inspection found, and which owner mails
// the instance sends (GET|PATCH /v1/instances/{id}/alerts); and /help/webhooks, the plain-words
// help the card links to when Meta was not told where to send them.
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, patch, enc } from '../lib/api.js';
import { card, field, toast, describe, duration, when, heading } from '../lib/ui.js';

const causes = ['needs_reauth', 'token_expiring', 'webhooks_silent', 'endpoint_paused'];

function lastSeen(at) {
  if (!at) return t('health.never');
  const ago = Date.now() - at;
  return ago < 60000 ? t('health.just_now') : t('health.ago', { ago: duration(ago) });
}

function problemsList(problems) {
  if (!problems?.length) return h('p', { class: 'muted small' }, t('health.token_ok'));
  return h('ul', { class: 'small', 'data-testid': 'token-problems' },
    ...problems.map((p) => h('li', { class: p.blocks_sending ? 'err' : null }, p.detail)));
}

function alertsBox(inst) {
  const box = h('div', { 'data-testid': 'owner-alerts' }, h('p', { class: 'muted small' }, t('health.alerts_help')));
  get(`/v1/instances/${enc(inst.id)}/alerts`).then((on) => {
    for (const cause of causes) {
      const f = field(t(`health.alert_${cause}`), { type: 'checkbox', name: `alert_${cause}`, checked: !!on[cause] });
      f.input.addEventListener('change', async () => {
        f.input.disabled = true;
        try {
          await patch(`/v1/instances/${enc(inst.id)}/alerts`, { [cause]: f.input.checked });
          toast(t('common.saved'));
        } catch (e) {
          f.input.checked = !f.input.checked;
          toast(await describe(e), 'error');
        } finally { f.input.disabled = false; }
      });
      box.append(f.wrap);
    }
  }).catch(async (e) => box.append(h('p', { class: 'err small' }, await describe(e))));
  return box;
}

// The daemon explains a missing subscription in its operator's terms (config keys); the user
// gets plain words for the causes it names, and the help page for what to do.
export function whyText(detail) {
  if (/public_url/.test(detail)) return t('health.why_not_public');
  if (/callback_override/.test(detail)) return t('health.why_never');
  return detail;
}

// /help/webhooks: how Meta's webhooks reach Enfinito, and what to do when they do not.
export function webhooksHelp() {
  const steps = ['1', '2', '3', '4'].map((n) => h('li', null, t(`help.wh_step${n}`)));
  return h('div', { class: 'prose' }, heading(t('help.wh_title')),
    h('p', null, t('help.wh_intro')),
    h('h2', null, t('help.wh_auto_title')), h('p', null, t('help.wh_auto')),
    h('h2', null, t('help.wh_manual_title')), h('ol', null, ...steps),
    h('h2', null, t('help.wh_check_title')), h('p', null, t('help.wh_check')),
    h('h2', null, t('help.wh_admin_title')), h('p', null, t('help.wh_admin')),
    h('p', null, h('a', { href: '/instances' }, t('notfound.home'))));
}

export function webhooksCard(inst) {
  const ob = inst.onboarding;
  if (!ob) return card(t('health.title'), h('p', { class: 'muted' }, t('health.unknown')));
  const wh = ob.webhooks || {};
  const sub = ob.subscription || {};
  return card(t('health.title'),
    h('dl', { class: 'props' },
      h('dt', null, t('health.last')), h('dd', { 'data-testid': 'webhooks-last' }, lastSeen(wh.last_received_at)),
      wh.silent ? [h('dt', null, t('health.silent')), h('dd', { class: 'err' }, t('health.silent_text', { since: when(wh.silent_since) }))] : null,
      h('dt', null, t('health.subscription')), h('dd', { 'data-testid': 'subscription-state' }, t(`health.sub_${sub.state || 'unknown'}`)),
      sub.detail ? [h('dt', null, t('health.why')), h('dd', { class: 'small', 'data-testid': 'subscription-why' }, whyText(sub.detail), ' ',
        h('a', { href: '/help/webhooks' }, t('health.why_link')))] : null,
      h('dt', null, t('health.token')), h('dd', null, ob.token?.type || '—',
        ob.token?.expires_at ? ` · ${t('health.expires', { at: when(ob.token.expires_at) })}` : '')),
    problemsList(ob.token?.problems),
    alertsBox(inst));
}
