// pages/live.js: tails the user's events as the live feed delivers them (newest on top, the
// last 200 kept), with a pause and a type filter; each event's JSON is one click away.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { on as onFeed, onState } from '../lib/feed.js';
import { heading, empty, field, badge, timeEl, pre } from '../lib/ui.js';
import { preview } from '../lib/messages.js';

const MAX = 200;

export function live({ onLeave }) {
  const events = [];
  let paused = false;
  const listEl = h('ol', { class: 'events', 'aria-label': t('live.list'), 'data-testid': 'live-events' });
  const filter = field(t('live.filter'), { name: 'filter', placeholder: 'message.' , class: 'mono' }, t('live.filter_hint'));
  const pause = h('button', { type: 'button', class: 'btn', 'aria-pressed': 'false' }, t('live.pause'));
  const state = h('p', { class: 'muted small' });
  const count = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  const emptyEl = empty(t('live.empty_title'), t('live.empty_text'));

  const item = (ev) => h('li', null,
    h('div', { class: 'row' }, badge(ev.type, ev.type.includes('fail') || ev.type.includes('dead') ? 'danger' : 'neutral'), timeEl(ev.created_at),
      h('span', { class: 'muted small mono' }, `#${ev.id}`), ev.instance_id ? h('span', { class: 'muted small mono' }, ev.instance_id) : null,
      ev.data?.message_id ? h('a', { href: `/messages/${encodeURIComponent(ev.data.message_id)}`, class: 'small' }, t('live.message')) : null),
    summary(ev) ? h('p', { class: 'small' }, summary(ev)) : null,
    h('details', null, h('summary', { class: 'small' }, t('live.json')), pre(ev)));

  // One line a person can read: who wrote what, or which status a message reached.
  function summary(ev) {
    const d = ev.data || {};
    if (ev.type === 'message.received') return `+${d.from}: ${preview({ message: d.message, type: d.type })}`;
    if (d.status && (d.recipient_id || d.peer)) return t('live.status_line', { status: t(`msg.${d.status}`), peer: d.recipient_id || d.peer });
    return '';
  }

  function draw() {
    const f = filter.input.value.trim();
    const shown = events.filter((e) => !f || e.type.includes(f));
    emptyEl.hidden = shown.length > 0;
    replace(listEl, ...shown.map(item));
  }
  filter.input.addEventListener('input', draw);
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? t('live.resume') : t('live.pause');
    if (!paused) draw();
  });
  onLeave(onFeed((ev) => {
    if (!ev.id) return;
    events.unshift(ev);
    if (events.length > MAX) events.length = MAX;
    count.textContent = t('live.count', { n: events.length });
    if (!paused) draw();
  }));
  onLeave(onState((s) => { state.textContent = t('live.state', { state: t(`feed.${s}`) }); }));
  draw();
  return h('div', null, heading(t('live.title'), pause), h('p', { class: 'muted' }, t('live.intro')), state,
    h('div', { class: 'card' }, filter.wrap), count, emptyEl, listEl);
}
