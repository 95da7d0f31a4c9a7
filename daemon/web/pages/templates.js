// pages/templates.js: an instance's message templates (/instances/{id}/templates), listed from
// Enfinito's local copy of the WABA's templates; create (header text, body with {{1}}
// parameters and their examples, footer, quick-reply and URL buttons), edit, delete, and
// "sync from Meta". Meta reviews every create and edit; its refusals are shown next to the field
// they concern (META_FIELDS), the daemon's own checks by the problem's `field`.
import { h, replace } from '../lib/dom.js';
import { t, has } from '../lib/i18n.js';
import { get, post, patch, del, enc, ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { heading, card, empty, field, form, toast, act, confirmDialog, badge, table, keepFocus, showFieldError } from '../lib/ui.js';
import { placeholders, fromComponents, toComponents, templateProblems } from '../lib/template_form.js';
import { instanceLinks } from './instances.js';

const PAGE = 50;
const CATEGORIES = ['UTILITY', 'MARKETING', 'AUTHENTICATION'];
const MAX_BUTTONS = 10;

// Meta's refusals of a template definition (error 100 with these subcodes) and the form field
// each concerns; other refusals show above the submit button.
const META_FIELDS = { 2388024: 'name', 2388043: 'body', 2388019: '' };

const statusKind = (s) => ({ APPROVED: 'ok', PENDING: 'warn', IN_APPEAL: 'warn', PAUSED: 'warn', REJECTED: 'danger', DISABLED: 'danger' }[s] || 'neutral');
// Meta's words (APPROVED, UTILITY, GREEN…) in ours; one Meta adds later shows as Meta says it.
const word = (prefix, v) => (has(`${prefix}${String(v || '').toLowerCase()}`) ? t(`${prefix}${String(v || '').toLowerCase()}`) : String(v || '—'));
export const templateStatus = (s) => badge(word('tpl.status_', s || 'unknown'), statusKind(s));

// A problem found before asking Meta, in words.
const problemText = (p) => t(`tpl.err_${p.code}`, { n: p.n });

// ---- the list ----

function templateRows(id, items, redraw) {
  return items.map((x) => {
    const edit = h('a', { class: 'btn btn-small', href: `/instances/${enc(id)}/templates/${enc(x.id)}`, 'aria-label': t('tpl.edit_named', { name: x.name, language: x.language }) }, t('tpl.edit'));
    const remove = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': t('tpl.delete_named', { name: x.name, language: x.language }) }, t('tpl.delete'));
    remove.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: t('tpl.delete_title', { name: x.name, language: x.language }), text: t('tpl.delete_text'), confirm: t('tpl.delete') });
      if (!ok) return;
      await act(remove, async () => {
        await del(`/v1/instances/${enc(id)}/templates`, undefined, { query: { name: x.name, template_id: x.id } });
        await redraw();
      }, t('tpl.deleted'));
    });
    const quality = x.quality_score?.score;
    return h('tr', null, h('td', { class: 'mono' }, x.name), h('td', null, x.language), h('td', null, word('tpl.cat_', x.category)),
      h('td', null, templateStatus(x.status)), h('td', null, quality ? word('tpl.quality_', quality) : '—'),
      h('td', null, h('div', { class: 'row' }, edit, remove)));
  });
}

export async function list({ params }) {
  const id = params.id;
  const base = `/v1/instances/${enc(id)}/templates`;
  const inst = await get(`/v1/instances/${enc(id)}`);
  const root = h('div');

  async function draw() {
    const page = await get(base, { limit: PAGE });
    let items = page.data || [];
    let after = page.paging?.after;
    const listEl = h('div');
    const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
    const drawList = () => {
      more.hidden = !after;
      replace(listEl, items.length
        ? table(t('tpl.caption'), [t('tpl.f_name'), t('tpl.f_language'), t('tpl.f_category'), t('tpl.status'), t('tpl.quality'), h('span', { class: 'sr-only' }, t('common.actions'))],
          templateRows(id, items, () => keepFocus(root, draw)))
        : empty(t('tpl.empty_title'), t('tpl.empty_text')));
    };
    more.addEventListener('click', () => act(more, async () => {
      const next = await get(base, { limit: PAGE, after });
      items = items.concat(next.data || []);
      after = next.paging?.after;
      drawList();
    }));
    drawList();
    const sync = h('button', { type: 'button', class: 'btn' }, t('tpl.sync'));
    sync.addEventListener('click', () => act(sync, async () => {
      const r = await post(`${base}/sync`);
      await keepFocus(root, draw);
      toast(t('tpl.synced', { n: r?.templates ?? 0 }));
    }));
    replace(root,
      h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name)),
      heading(t('tpl.title'), instanceLinks(id)),
      h('p', { class: 'muted' }, t('tpl.intro')),
      h('div', { class: 'row page-actions' }, h('a', { class: 'btn btn-primary', href: `/instances/${enc(id)}/templates/new` }, t('tpl.new')), sync),
      listEl, h('p', null, more));
  }
  await draw();
  return root;
}

// ---- create and edit ----

// A list of example inputs, one per placeholder of `text`, kept in step as the text changes.
function examplesBox(prefix, labelKey, initial) {
  const box = h('div', { class: 'stack examples' });
  let inputs = [];
  const sync = (text) => {
    const names = placeholders(text);
    const old = inputs.map((i) => i.input.value);
    inputs = names.map((n, i) => field(t(labelKey, { n }), { name: `${prefix}_${i}`, required: true, value: old[i] ?? initial[i] ?? '' }, null));
    replace(box, ...inputs.map((f) => f.wrap));
  };
  return { box, sync, values: () => inputs.map((f) => f.input.value), inputs: () => inputs.map((f) => f.input) };
}

function buttonsBox(initial) {
  const list = h('div', { class: 'stack' });
  const rows = [];
  const add = h('button', { type: 'button', class: 'btn btn-small' }, t('tpl.add_button'));
  const redraw = () => {
    replace(list, ...rows.map((r, i) => r.draw(i)));
    add.hidden = rows.length >= MAX_BUTTONS;
  };
  const makeRow = (b = { type: 'QUICK_REPLY', text: '', url: '', example: '' }) => {
    const type = field(t('tpl.button_type'), { name: 'button_type', value: b.type }, null,
      { tag: 'select', options: [['QUICK_REPLY', t('tpl.button_quick_reply')], ['URL', t('tpl.button_url')]] });
    const text = field(t('tpl.button_text'), { name: 'button_text', maxlength: '25', value: b.text }, t('tpl.button_text_hint'));
    const url = field(t('tpl.button_link'), { name: 'button_url', type: 'url', inputmode: 'url', class: 'mono', value: b.url, placeholder: 'https://example.com/order/{{1}}' }, t('tpl.button_link_hint'));
    const example = field(t('tpl.button_example'), { name: 'button_example', class: 'mono', value: b.example });
    const remove = h('button', { type: 'button', class: 'btn btn-small' }, t('tpl.remove_button'));
    const row = { type, text, url, example };
    const show = () => {
      url.wrap.hidden = type.input.value !== 'URL';
      example.wrap.hidden = type.input.value !== 'URL' || !placeholders(url.input.value).length;
    };
    type.input.addEventListener('change', show);
    url.input.addEventListener('input', show);
    remove.addEventListener('click', () => { rows.splice(rows.indexOf(row), 1); redraw(); add.focus(); });
    row.draw = (i) => {
      const legend = h('legend', null, t('tpl.button_n', { n: i + 1 }));
      remove.setAttribute('aria-label', t('tpl.remove_button_n', { n: i + 1 }));
      show();
      return h('fieldset', { class: 'stack button-row' }, legend, type.wrap, text.wrap, url.wrap, example.wrap, h('div', null, remove));
    };
    row.value = () => ({ type: type.input.value, text: text.input.value, url: url.input.value, example: example.input.value });
    return row;
  };
  for (const b of initial) rows.push(makeRow(b));
  add.addEventListener('click', () => {
    rows.push(makeRow());
    redraw();
    rows.at(-1).text.input.focus();
  });
  redraw();
  return {
    box: h('fieldset', { class: 'stack' }, h('legend', null, t('tpl.buttons')), h('p', { class: 'hint' }, t('tpl.buttons_hint')), list, h('div', null, add)),
    values: () => rows.map((r) => r.value()),
    input: (key) => {
      const m = /^btn_(text|url|ex)_(\d+)$/.exec(key);
      const r = m && rows[Number(m[2])];
      return r ? { text: r.text, url: r.url, ex: r.example }[m[1]].input : null;
    },
  };
}

// The create/edit form. `existing` is the template from the copy when editing.
function templateForm(id, existing) {
  const v = fromComponents(existing?.components);
  const name = field(t('tpl.f_name'), { name: 'name', required: true, maxlength: '512', pattern: '[a-z0-9_]+', class: 'mono', autocomplete: 'off', spellcheck: 'false',
    value: existing?.name || '', disabled: !!existing }, t('tpl.h_name'));
  const language = field(t('tpl.f_language'), { name: 'language', required: true, maxlength: '15', class: 'mono', value: existing?.language || 'en_US', disabled: !!existing, list: 'tpl-languages' }, t('tpl.h_language'));
  const languages = h('datalist', { id: 'tpl-languages' }, ...['en_US', 'en_GB', 'en', 'de', 'fr', 'es', 'es_MX', 'it', 'pt_BR', 'nl', 'pl', 'tr'].map((l) => h('option', { value: l })));
  const category = field(t('tpl.f_category'), { name: 'category', value: existing?.category || 'UTILITY' }, t('tpl.h_category'),
    { tag: 'select', options: CATEGORIES.map((c) => [c, t(`tpl.cat_${c.toLowerCase()}`)]) });
  const header = field(t('tpl.f_header'), { name: 'header', maxlength: '60', value: v.header }, t('tpl.h_header'));
  const body = field(t('tpl.f_body'), { name: 'body', required: true, rows: '5', maxlength: '1024' }, t('tpl.h_body'), { tag: 'textarea' });
  body.input.value = v.body;
  const footer = field(t('tpl.f_footer'), { name: 'footer', maxlength: '60', value: v.footer }, t('tpl.h_footer'));
  const headerEx = examplesBox('header_ex', 'tpl.header_example', v.headerExamples);
  const bodyEx = examplesBox('body_ex', 'tpl.body_example', v.bodyExamples);
  header.wrap.append(headerEx.box);
  body.wrap.append(bodyEx.box);
  header.input.addEventListener('input', () => headerEx.sync(header.input.value));
  body.input.addEventListener('input', () => bodyEx.sync(body.input.value));
  headerEx.sync(v.header);
  bodyEx.sync(v.body);
  const buttons = buttonsBox(v.buttons);
  const inputs = { name: name.input, language: language.input, category: category.input, header: header.input, body: body.input, footer: footer.input };
  const inputFor = (key) => {
    const ex = /^(body|header)_ex_(\d+)$/.exec(key);
    if (ex) return (ex[1] === 'body' ? bodyEx : headerEx).inputs()[Number(ex[2])];
    return inputs[key] || buttons.input(key);
  };

  const f = form({
    children: [name.wrap, language.wrap, languages, category.wrap, header.wrap, body.wrap, footer.wrap, buttons.box],
    submit: existing ? t('tpl.save_edit') : t('tpl.submit'),
    fields: inputs,
    aliases: { components: 'body', 'components[0].type': 'body' },
    onSubmit: async (vals, el) => {
      const plain = { header: vals.header, headerExamples: headerEx.values(), body: vals.body, bodyExamples: bodyEx.values(), footer: vals.footer, buttons: buttons.values() };
      const problems = templateProblems(plain);
      if (problems.length) {
        for (const p of problems) { const input = inputFor(p.key); if (input) showFieldError(input, problemText(p)); }
        inputFor(problems[0].key)?.focus();
        replace(el.summary, t('tpl.fix_fields'));
        return;
      }
      const components = toComponents(plain);
      try {
        if (existing) {
          await patch(`/v1/instances/${enc(id)}/templates/${enc(existing.id)}`, { category: vals.category, components });
          toast(t('tpl.edited'));
        } else {
          const r = await post(`/v1/instances/${enc(id)}/templates`, { name: vals.name, language: vals.language, category: vals.category, components });
          toast(t('tpl.created', { status: word('tpl.status_', r?.status || 'PENDING') }));
        }
      } catch (e) {
        // Meta names no field; the subcodes it documents for a definition do.
        const key = e instanceof ApiError ? META_FIELDS[e.problem.meta_subcode] : undefined;
        if (key) {
          showFieldError(inputs[key], `${t(`tpl.meta_${e.problem.meta_subcode}`)} (${t('meta.code', { code: e.problem.meta_code })})`);
          inputs[key].focus();
          return;
        }
        throw e;
      }
      navigate(`/instances/${enc(id)}/templates`);
    },
  });
  return f;
}

function frame(id, inst, title, ...content) {
  return h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name),
      ' / ', h('a', { href: `/instances/${enc(id)}/templates` }, t('tpl.title'))),
    heading(title), ...content);
}

export async function create({ params }) {
  const inst = await get(`/v1/instances/${enc(params.id)}`);
  return frame(params.id, inst, t('tpl.new_title'), h('p', { class: 'muted' }, t('tpl.review_note')), card(null, templateForm(params.id, null)));
}

export async function edit({ params }) {
  const id = params.id;
  const inst = await get(`/v1/instances/${enc(id)}`);
  // The copy is read page by page until the id turns up (a WABA holds at most 250 templates).
  let found = null;
  let after;
  for (let i = 0; i < 10 && !found; ++i) {
    const page = await get(`/v1/instances/${enc(id)}/templates`, { limit: 100, after });
    found = (page.data || []).find((x) => x.id === params.template) || null;
    after = page.paging?.after;
    if (!after) break;
  }
  if (!found) return frame(id, inst, t('tpl.not_found'), empty(t('tpl.not_found'), t('tpl.not_found_text'), h('a', { class: 'btn', href: `/instances/${enc(id)}/templates` }, t('tpl.back'))));
  return frame(id, inst, t('tpl.edit_title', { name: found.name, language: found.language }),
    h('p', null, templateStatus(found.status)), h('p', { class: 'muted' }, t('tpl.review_note')), card(null, templateForm(id, found)));
}
