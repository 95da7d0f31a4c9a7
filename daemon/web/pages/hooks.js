// pages/hooks.js: customer webhooks of an instance ("Webhooks" in the UI, /hooks in URLs):
// create with an event filter (secret shown once), and per endpoint: pause/resume, rotate the
// secret, send a test event, and the delivery log attempt by attempt with redeliver.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, patch, del, enc, ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { heading, card, empty, field, form, toast, act, confirmDialog, statusBadge, badge, when, copyField, table, keepFocus } from '../lib/ui.js';
import { instanceLinks } from './instances.js';

const EVENT_TYPES = ['message.received', 'message.accepted', 'message.sent', 'message.delivered', 'message.read',
  'message.failed', 'message.dead', 'message.status', 'instance.status', 'template.status', 'optout.added', 'optout.removed'];

const secretOnce = (title, secret) => h('section', { class: 'card secret-once', 'aria-labelledby': 'secret-once' },
  h('h2', { id: 'secret-once', tabindex: '-1' }, title), h('p', null, t('hooks.secret_text')), copyField(t('hooks.secret'), secret));

export async function list({ params }) {
  const id = params.id;
  const base = `/v1/instances/${enc(id)}/webhooks`;
  const [inst, r] = await Promise.all([get(`/v1/instances/${enc(id)}`), get(base)]);
  const items = r.data || [];
  const url = field(t('hooks.url'), { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/whatsapp/events', class: 'mono' }, t('hooks.url_hint'));
  const format = field(t('hooks.format'), { name: 'format', value: 'enfinito' }, t('hooks.format_hint'),
    { tag: 'select', options: [['enfinito', t('hooks.format_enfinito')], ['meta', t('hooks.format_meta')]] });
  const types = EVENT_TYPES.map((ty) => field(ty, { type: 'checkbox', name: 'event_types', value: ty, class: 'mono' }));
  const typesHidden = h('input', { type: 'hidden', id: 'event-types', name: 'event_types' });
  const shown = h('div');
  const f = form({
    children: [url.wrap, format.wrap,
      h('fieldset', null, h('legend', null, t('hooks.events')), h('p', { class: 'hint' }, t('hooks.events_hint')),
        h('div', { class: 'filters' }, ...types.map((x) => x.wrap)), typesHidden, h('div', { class: 'field-error', id: 'event-types-err' }))],
    submit: t('hooks.create'),
    fields: { url: url.input, format: format.input, event_types: typesHidden },
    onSubmit: async (v) => {
      const created = await post(base, { url: v.url, format: v.format, event_types: types.filter((x) => x.input.checked).map((x) => x.input.value) });
      toast(t('hooks.created'));
      replace(shown, secretOnce(t('hooks.secret_title'), created.secret),
        h('p', null, h('a', { class: 'btn', href: `/instances/${enc(id)}/hooks/${enc(created.id)}` }, t('hooks.open_endpoint'))));
      shown.querySelector('h2').focus();
    },
  });
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name)),
    heading(t('hooks.title'), instanceLinks(id)), h('p', { class: 'muted' }, t('hooks.intro')), shown,
    items.length ? h('ul', { class: 'list' }, ...items.map((w) => h('li', null, h('a', { class: 'list-item', href: `/instances/${enc(id)}/hooks/${enc(w.id)}` },
      h('div', null, h('div', { class: 'title mono' }, w.url),
        h('div', { class: 'preview' }, w.event_types?.length ? w.event_types.join(', ') : t('hooks.all_events'))),
      h('div', { class: 'side' }, statusBadge(w.state), w.failure_count ? badge(t('hooks.failing', { n: w.failure_count }), 'danger') : null)))))
      : empty(t('hooks.empty_title'), t('hooks.empty_text')),
    card(t('hooks.new'), f));
}

export async function detail({ params }) {
  const id = params.id;
  const base = `/v1/instances/${enc(id)}/webhooks/${enc(params.hook)}`;
  const root = h('div');
  const shown = h('div');
  let before = null;
  let deliveries = [];

  async function draw() {
    const [w, d] = await Promise.all([get(base), get(`${base}/deliveries`, { limit: 50 })]);
    deliveries = d.data || [];
    before = d.next_before;
    const pause = h('button', { type: 'button', class: 'btn', name: 'pause' }, w.state === 'paused' ? t('hooks.resume') : t('hooks.pause'));
    pause.addEventListener('click', () => act(pause, async () => { await patch(base, { state: w.state === 'paused' ? 'active' : 'paused' }); await keepFocus(root, draw); },
      w.state === 'paused' ? t('hooks.resumed') : t('hooks.paused')));
    const test = h('button', { type: 'button', class: 'btn' }, t('hooks.test'));
    test.addEventListener('click', () => act(test, async () => {
      try { await post(`${base}/test`); } catch (e) {
        if (e instanceof ApiError && e.status === 404 && e.code !== 'webhook_not_found') throw new ApiError(404, { detail: t('hooks.test_unavailable') });
        throw e;
      }
      toast(t('hooks.test_sent'));
      pollLog(deliveries[0]?.id);
    }));
    const rotate = h('button', { type: 'button', class: 'btn' }, t('hooks.rotate'));
    rotate.addEventListener('click', async () => {
      if (!await confirmDialog({ title: t('hooks.rotate_title'), text: t('hooks.rotate_text'), confirm: t('hooks.rotate') })) return;
      const r = await act(rotate, () => post(`${base}/rotate-secret`));
      if (r?.secret) { replace(shown, secretOnce(t('hooks.new_secret_title'), r.secret)); shown.querySelector('h2').focus(); }
    });
    const remove = h('button', { type: 'button', class: 'btn btn-danger' }, t('hooks.delete'));
    remove.addEventListener('click', async () => {
      if (!await confirmDialog({ title: t('hooks.delete_title'), text: t('hooks.delete_text'), confirm: t('hooks.delete') })) return;
      await act(remove, async () => { await del(base); navigate(`/instances/${enc(id)}/hooks`); }, t('hooks.deleted'));
    });
    const refresh = h('button', { type: 'button', class: 'btn btn-small' }, t('common.refresh'));
    refresh.addEventListener('click', () => act(refresh, () => keepFocus(root, draw)));
    const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
    more.hidden = !before;
    const logEl = h('div');
    const drawLog = () => replace(logEl, deliveries.length ? deliveryTable(deliveries, base, draw) : empty(t('hooks.no_deliveries'), t('hooks.no_deliveries_text')));
    more.addEventListener('click', () => act(more, async () => {
      const d2 = await get(`${base}/deliveries`, { limit: 50, before });
      deliveries = deliveries.concat(d2.data || []);
      before = d2.next_before;
      more.hidden = !before;
      drawLog();
    }));
    drawLog();
    // After a test event: re-read the log a few times over ~11 s (bounded) until the new
    // delivery shows and has left "pending"; stops early once the page is left.
    async function pollLog(known) {
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, i ? 2000 : 1000));
        if (!logEl.isConnected) return;
        let d2;
        try { d2 = await get(`${base}/deliveries`, { limit: 50 }); } catch { continue; }
        const list = d2.data || [];
        if (!list.length || list[0].id === known) continue;
        if (!logEl.isConnected) return;
        const changed = JSON.stringify(list) !== JSON.stringify(deliveries);
        deliveries = list;
        before = d2.next_before;
        more.hidden = !before;
        if (changed) drawLog();
        if (list[0].state !== 'pending') return;
      }
    }
    replace(root,
      h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}/hooks` }, t('hooks.title'))),
      heading(t('hooks.endpoint'), statusBadge(w.state), h('p', { class: 'sub mono' }, w.url)),
      shown,
      w.paused_reason ? h('p', { class: 'notice notice-warn' }, t('hooks.paused_because', { reason: w.paused_reason })) : null,
      h('div', { class: 'grid' },
        card(t('hooks.settings'), h('dl', { class: 'props' },
          h('dt', null, t('hooks.format')), h('dd', null, w.format),
          h('dt', null, t('hooks.events')), h('dd', null, w.event_types?.length ? w.event_types.join(', ') : t('hooks.all_events')),
          h('dt', null, t('hooks.failures')), h('dd', null, String(w.failure_count)),
          h('dt', null, t('hooks.created_at')), h('dd', null, when(w.created_at))),
          h('div', { class: 'actions' }, pause, test, rotate)),
        card(t('hooks.danger'), h('p', { class: 'muted' }, t('hooks.delete_help')), remove)),
      h('section', { class: 'card', 'aria-labelledby': 'deliv-h' }, h('div', { class: 'page-head' }, h('h2', { id: 'deliv-h' }, t('hooks.deliveries')), refresh), logEl,
        h('div', { class: 'actions' }, more)));
  }
  await draw();
  return root;
}

function deliveryTable(rows, base, redraw) {
  return table(t('hooks.deliveries_caption'), [t('hooks.d_event'), t('hooks.d_state'), t('hooks.d_attempts'), t('hooks.d_last'), t('hooks.d_result'), h('span', { class: 'sr-only' }, t('common.actions'))],
    rows.map((d) => {
      const again = h('button', { type: 'button', class: 'btn btn-small' }, t('hooks.redeliver'));
      again.addEventListener('click', () => act(again, async () => { await post(`${base}/deliveries/${enc(d.id)}/redeliver`); await redraw(); }, t('hooks.redelivered')));
      return h('tr', null,
        h('td', null, h('span', { class: 'mono small' }, d.event_type), h('div', { class: 'muted small mono' }, d.id)),
        h('td', null, statusBadge(d.state)),
        h('td', { class: 'num' }, String(d.attempts)),
        h('td', null, when(d.last_attempt_at)),
        h('td', null, d.last_status ? `HTTP ${d.last_status}` : '', d.last_error ? h('div', { class: 'small warn-text' }, d.last_error) : null,
          d.state === 'pending' && d.next_attempt_at ? h('div', { class: 'small muted' }, t('hooks.next_attempt', { when: when(d.next_attempt_at) })) : null),
        h('td', null, again));
    }));
}
