// pages/optouts.js: an instance's opt-out list ("Opt-outs" in the UI, /optouts in URLs): who
// asked not to be contacted (by keyword or added here), add and remove numbers, and the
// settings: keywords on or off, the keyword lists, and which single sends are refused.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { api, get, post, del, enc } from '../lib/api.js';
import { heading, card, empty, field, form, toast, act, confirmDialog, badge, when, table, keepFocus } from '../lib/ui.js';
import { instanceLinks } from './instances.js';

const PAGE = 50;

// "a, b\nc" → ["a", "b", "c"]
const words = (text) => text.split(/[\n,]/).map((w) => w.trim()).filter(Boolean);

function settingsForm(base, s, redraw) {
  const enabled = field(t('optouts.enabled'), { type: 'checkbox', name: 'enabled' }, t('optouts.enabled_hint'));
  enabled.input.checked = s.enabled;
  const enforce = field(t('optouts.enforce'), { name: 'enforce_on_single_sends', value: s.enforce_on_single_sends }, t('optouts.enforce_hint'),
    { tag: 'select', options: [['off', t('optouts.enforce_off')], ['marketing_templates', t('optouts.enforce_marketing')], ['all_templates', t('optouts.enforce_all')]] });
  const stop = field(t('optouts.stop_keywords'), { name: 'stop_keywords', rows: 3, class: 'mono' }, t('optouts.keywords_hint'), { tag: 'textarea' });
  stop.input.value = s.stop_keywords.join(', ');
  const start = field(t('optouts.start_keywords'), { name: 'start_keywords', rows: 3, class: 'mono' }, t('optouts.keywords_hint'), { tag: 'textarea' });
  start.input.value = s.start_keywords.join(', ');
  const f = form({
    children: [enabled.wrap, enforce.wrap, stop.wrap, start.wrap],
    submit: t('common.save'),
    fields: { enabled: enabled.input, enforce_on_single_sends: enforce.input, stop_keywords: stop.input, start_keywords: start.input },
    onSubmit: async (v) => {
      await api('PUT', `${base}-settings`, {
        enabled: v.enabled, enforce_on_single_sends: v.enforce_on_single_sends,
        stop_keywords: words(v.stop_keywords), start_keywords: words(v.start_keywords),
      });
      toast(t('common.saved'));
      await redraw();
    },
  });
  const reset = h('button', { type: 'button', class: 'btn' }, t('optouts.reset_keywords'));
  reset.addEventListener('click', () => act(reset, async () => {
    await api('PUT', `${base}-settings`, { stop_keywords: null, start_keywords: null });
    await redraw();
  }, t('optouts.keywords_reset')));
  return card(t('optouts.settings'), f, h('p', null, reset));
}

function entryTable(base, items, redraw) {
  return table(t('optouts.caption'), [t('optouts.wa_id'), t('optouts.source'), t('optouts.added'), h('span', { class: 'sr-only' }, t('common.actions'))],
    items.map((e) => {
      const remove = h('button', { type: 'button', class: 'btn btn-small' }, t('optouts.remove'));
      remove.addEventListener('click', async () => {
        if (!await confirmDialog({ title: t('optouts.remove_title'), text: t('optouts.remove_text', { wa_id: e.wa_id }), confirm: t('optouts.remove') })) return;
        await act(remove, async () => { await del(`${base}/${enc(e.wa_id)}`); await redraw(); }, t('optouts.removed'));
      });
      const source = e.source === 'keyword' ? badge(t('optouts.by_keyword', { keyword: e.keyword }), 'neutral') : badge(t('optouts.by_api'), 'neutral');
      return h('tr', null, h('td', { class: 'mono' }, '+' + e.wa_id), h('td', null, source), h('td', null, when(e.created_at)), h('td', null, remove));
    }));
}

export async function list({ params }) {
  const id = params.id;
  const base = `/v1/instances/${enc(id)}/optout`;
  const root = h('div');
  const inst = await get(`/v1/instances/${enc(id)}`);

  async function draw() {
    const [s, page] = await Promise.all([get(`${base}-settings`), get(`${base}s`, { limit: PAGE })]);
    let items = page.data || [];
    let after = page.next_after;
    const listEl = h('div');
    const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
    const drawList = () => {
      more.hidden = !after;
      replace(listEl, items.length ? entryTable(`${base}s`, items, () => keepFocus(root, draw)) : empty(t('optouts.empty_title'), t('optouts.empty_text')));
    };
    more.addEventListener('click', () => act(more, async () => {
      const next = await get(`${base}s`, { limit: PAGE, after });
      items = items.concat(next.data || []);
      after = next.next_after;
      drawList();
    }));
    drawList();
    const number = field(t('optouts.wa_id'), { name: 'wa_id', required: true, inputmode: 'tel', class: 'mono', placeholder: '+49 151 12345678' }, t('optouts.add_hint'));
    const add = form({
      children: [number.wrap],
      submit: t('optouts.add'),
      fields: { wa_id: number.input },
      onSubmit: async (v) => {
        await post(`${base}s`, { wa_id: v.wa_id });
        toast(t('optouts.added_toast'));
        await keepFocus(root, draw);
      },
    });
    replace(root,
      h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name)),
      heading(t('optouts.title'), instanceLinks(id)), h('p', { class: 'muted' }, t('optouts.intro')),
      listEl, h('p', null, more), card(t('optouts.add_title'), add), settingsForm(base, s, () => keepFocus(root, draw)));
  }
  await draw();
  return root;
}
