// pages/messages.js: an instance's message log with filters (direction, status, peer, time),
// and one message: its state, attempts, Meta's error explained, retry for dead messages, and
// the timeline from the API call to the last webhook delivery with the raw JSON of each step.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, enc, ApiError } from '../lib/api.js';
import { setQuery } from '../lib/router.js';
import { heading, card, empty, field, form, act, keepFocus, badge, tick, timeEl, when, pre, table, describe } from '../lib/ui.js';
import { preview, content, errorExplained } from '../lib/messages.js';
import { instanceLinks } from './instances.js';

const STATUSES = ['accepted', 'sending', 'sent', 'delivered', 'read', 'failed', 'dead', 'received'];

// datetime-local value ↔ unix ms.
const toMs = (v) => (v ? String(new Date(v).getTime()) : '');
const fromMs = (v) => {
  if (!v) return '';
  const d = new Date(Number(v));
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};

export async function log({ params, query }) {
  const id = params.id;
  const inst = await get(`/v1/instances/${enc(id)}`);
  const direction = field(t('log.direction'), { name: 'direction', value: query.get('direction') || '' }, null,
    { tag: 'select', options: [['', t('log.any')], ['outbound', t('log.outbound')], ['inbound', t('log.inbound')]] });
  const status = field(t('log.status'), { name: 'status', value: query.get('status') || '' }, null,
    { tag: 'select', options: [['', t('log.any')], ...STATUSES.map((s) => [s, t(`msg.${s}`)])] });
  const peer = field(t('log.peer'), { name: 'peer', value: query.get('peer') || '', inputmode: 'tel', class: 'mono', placeholder: '4915112345678' });
  const since = field(t('log.since'), { type: 'datetime-local', name: 'since', value: fromMs(query.get('since')) });
  const until = field(t('log.until'), { type: 'datetime-local', name: 'until', value: fromMs(query.get('until')) });
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
  more.hidden = true;
  let filters = {};
  let cursor = null;
  let rows = [];

  async function load(append) {
    const r = await get(`/v1/instances/${enc(id)}/messages`, { ...filters, limit: 50, cursor: append ? cursor : null });
    rows = append ? rows.concat(r.data) : r.data;
    cursor = r.next_cursor;
    more.hidden = !cursor;
    replace(results, rows.length ? table(t('log.caption'), [t('log.time'), t('log.direction'), t('log.peer'), t('log.content'), t('log.status')],
      rows.map((m) => h('tr', null,
        h('td', null, h('a', { href: `/messages/${enc(m.id)}` }, timeEl(m.created_at))),
        h('td', null, m.direction === 'inbound' ? t('log.inbound') : t('log.outbound')),
        h('td', { class: 'mono' }, `+${m.peer}`),
        h('td', null, preview(m).slice(0, 80)),
        h('td', null, m.direction === 'outbound' ? tick(m.status) : null, ' ', t(`msg.${m.status}`), m.possible_duplicate ? [' ', badge(t('msg.possible_duplicate'), 'warn')] : null)))) : empty(t('log.empty_title'), t('log.empty_text')));
  }
  const read = () => ({ direction: direction.input.value, status: status.input.value, peer: peer.input.value.replace(/[^0-9]/g, ''),
    since: toMs(since.input.value), until: toMs(until.input.value) });
  const f = form({
    children: [h('div', { class: 'filters' }, direction.wrap, status.wrap, peer.wrap, since.wrap, until.wrap)],
    submit: t('log.apply'),
    fields: { direction: direction.input, status: status.input, peer: peer.input, since: since.input, until: until.input },
    aliases: {},
    onSubmit: async () => {
      filters = read();
      setQuery(filters);
      await load(false);
    },
  });
  more.addEventListener('click', () => act(more, () => load(true)));
  filters = read();
  await load(false);
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name)),
    heading(t('log.title'), instanceLinks(id)),
    h('section', { class: 'card', 'aria-label': t('log.filters') }, f), results, h('div', { class: 'actions' }, more));
}

export async function detail({ params }) {
  const id = params.id;
  const root = h('div');
  async function draw() {
    const m = await get(`/v1/messages/${enc(id)}`);
    const retry = (m.status === 'dead' || m.status === 'failed') && m.direction === 'outbound'
      ? h('button', { type: 'button', class: 'btn btn-primary' }, t('msg.retry')) : null;
    retry?.addEventListener('click', () => act(retry, async () => { await post(`/v1/messages/${enc(id)}/retry`); await keepFocus(root, draw); }, t('msg.retried')));
    replace(root,
      h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ',
        h('a', { href: `/instances/${enc(m.instance_id)}/messages` }, t('log.title')), ' / ',
        h('a', { href: `/instances/${enc(m.instance_id)}/conversations/${enc(m.peer)}` }, `+${m.peer}`)),
      heading(t('msg.title'), h('div', { class: 'row' }, m.direction === 'outbound' ? tick(m.status) : null, badge(t(`msg.${m.status}`), m.status === 'failed' || m.status === 'dead' ? 'danger' : m.status === 'read' || m.status === 'delivered' ? 'ok' : 'neutral'), retry)),
      m.possible_duplicate ? h('p', { class: 'notice notice-warn' }, t('msg.possible_duplicate_text')) : null,
      m.error ? h('div', { class: 'notice notice-danger' }, await errorExplained(m.error)) : null,
      h('div', { class: 'grid' },
        card(t('msg.facts'), h('dl', { class: 'props' },
          h('dt', null, t('msg.id')), h('dd', { class: 'mono' }, m.id),
          h('dt', null, t('log.direction')), h('dd', null, m.direction === 'inbound' ? t('log.inbound') : t('log.outbound')),
          h('dt', null, t('log.peer')), h('dd', { class: 'mono' }, `+${m.peer}`),
          h('dt', null, t('msg.type')), h('dd', null, m.type),
          h('dt', null, t('msg.wamid')), h('dd', { class: 'mono small' }, m.wamid || '—'),
          h('dt', null, t('msg.attempts')), h('dd', null, String(m.attempts ?? 0)),
          h('dt', null, t('msg.created')), h('dd', null, when(m.created_at)),
          h('dt', null, t('msg.updated')), h('dd', null, when(m.updated_at)))),
        card(t('msg.content'), h('div', { class: 'bubble ' + (m.direction === 'inbound' ? 'in' : 'out') }, content(m, m.instance_id)),
          h('details', null, h('summary', null, t('msg.raw')), pre(m.message)))),
      card(t('msg.timeline'), await timeline(id)));
  }
  await draw();
  return root;
}

async function timeline(id) {
  let r;
  try {
    r = await get(`/v1/messages/${enc(id)}/timeline`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return h('p', { class: 'muted' }, t('msg.timeline_unavailable'));
    return h('p', { class: 'form-error' }, await describe(e));
  }
  if (!r.data?.length) return h('p', { class: 'muted' }, t('msg.timeline_empty'));
  return h('ol', { class: 'timeline' }, ...r.data.map((s) => h('li', null,
    h('div', { class: 'row' }, badge(t(`tl.${s.kind}`), s.kind === 'status_webhook' ? 'ok' : 'neutral'), h('span', { class: 'when' }, when(s.at))),
    h('p', null, s.summary),
    s.detail && Object.keys(s.detail).length ? h('details', null, h('summary', null, t('tl.raw')), pre(s.detail)) : null)));
}
