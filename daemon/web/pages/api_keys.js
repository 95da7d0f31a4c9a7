// pages/api_keys.js: the user's API keys: create (optionally read-only or limited to some
// instances), the key shown once with a copy button and a ready curl line, last use, revoke.
import { h, replace, nextId } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, del, enc } from '../lib/api.js';
import { heading, card, empty, field, form, toast, act, confirmDialog, badge, when, copyField, table } from '../lib/ui.js';

export async function keys() {
  const [k, insts] = await Promise.all([get('/v1/api-keys'), get('/v1/instances', { limit: 100 })]);
  let list = k.api_keys || k.data || [];
  const instances = insts.data || [];
  const names = new Map(instances.map((i) => [i.id, i.name]));
  const listEl = h('div');
  const shown = h('div', { 'aria-live': 'polite' });

  function draw() {
    replace(listEl, list.length ? table(t('keys.caption'), [t('keys.name'), t('keys.prefix'), t('keys.scope'), t('keys.created'), t('keys.last_used'), h('span', { class: 'sr-only' }, t('common.actions'))],
      list.map((key) => {
        const revoke = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, t('keys.revoke'), h('span', { class: 'sr-only' }, ` ${key.name}`));
        revoke.addEventListener('click', async () => {
          if (!await confirmDialog({ title: t('keys.revoke_title', { name: key.name }), text: t('keys.revoke_text'), confirm: t('keys.revoke') })) return;
          await act(revoke, async () => {
            await del(`/v1/api-keys/${enc(key.id)}`);
            list = list.filter((x) => x.id !== key.id);
            draw();
          }, t('keys.revoked'));
        });
        return h('tr', null, h('td', null, key.name), h('td', { class: 'mono' }, `${key.prefix}…`),
          h('td', null, key.read_only ? badge(t('keys.read_only'), 'neutral') : badge(t('keys.read_write'), 'ok'), ' ',
            key.instance_ids?.length ? key.instance_ids.map((i) => names.get(i) || i).join(', ') : t('keys.all_instances')),
          h('td', null, when(key.created_at)), h('td', null, key.last_used_at ? when(key.last_used_at) : t('common.never')), h('td', null, revoke));
      })) : empty(t('keys.empty_title'), t('keys.empty_text')));
  }

  const name = field(t('keys.name'), { name: 'name', required: true, maxlength: '100', placeholder: t('keys.name_ph') });
  const ro = field(t('keys.read_only_label'), { type: 'checkbox', name: 'read_only' }, t('keys.read_only_hint'));
  const boxes = instances.map((i) => {
    const id = nextId('inst');
    const cb = h('input', { type: 'checkbox', id, value: i.id });
    return { cb, el: h('div', { class: 'field field-check' }, cb, h('label', { for: id }, i.name)) };
  });
  const scopeErr = h('div', { class: 'field-error', id: 'scope-err' });
  const scopeSel = h('input', { type: 'hidden', id: 'scope', name: 'instance_ids' });
  const scope = instances.length ? h('fieldset', { class: 'stack', 'aria-describedby': 'scope-err' }, h('legend', null, t('keys.scope_legend')),
    h('p', { class: 'hint' }, t('keys.scope_hint')), ...boxes.map((b) => b.el), scopeErr, scopeSel) : null;
  const f = form({
    children: [name.wrap, ro.wrap, scope], submit: t('keys.create'),
    fields: { name: name.input, read_only: ro.input, instance_ids: scopeSel },
    onSubmit: async (v) => {
      const body = { name: v.name, read_only: v.read_only };
      const ids = boxes.filter((b) => b.cb.checked).map((b) => b.cb.value);
      if (ids.length) body.instance_ids = ids;
      const created = await post('/v1/api-keys', body);
      list = [created, ...list];
      draw();
      name.input.value = '';
      showOnce(shown, created.key);
      toast(t('keys.created_toast'));
    },
  });
  draw();
  return h('div', null, heading(t('keys.title')), h('p', { class: 'muted' }, t('keys.intro')), shown, listEl,
    card(t('keys.new'), f));
}

function showOnce(el, key) {
  const curl = `curl -H 'Authorization: Bearer ${key}' ${location.origin}/v1/instances`;
  replace(el, h('section', { class: 'card secret-once', 'aria-labelledby': 'key-once' },
    h('h2', { id: 'key-once', tabindex: '-1' }, t('keys.once_title')),
    h('p', null, t('keys.once_text')),
    copyField(t('keys.the_key'), key),
    copyField(t('keys.curl'), curl, { multiline: true })));
  el.querySelector('h2').focus();
}
