// pages/conversations.js: an instance's conversations (one row per customer, with the 24-hour
// window state) and one conversation: the thread with ticks and media, live updates over the
// feed, read receipts only while the user can see it, and a composer that knows the window
// (text while open, templates when closed) and can send a file.
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { get, post, api, enc, ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { on as onFeed } from '../lib/feed.js';
import { heading, empty, field, form, toast, badge, tick, timeEl, toDate, duration, describe, showFieldError } from '../lib/ui.js';
import { preview, content, errorExplained } from '../lib/messages.js';
import { instanceLinks } from './instances.js';

const DAY = 24 * 3600 * 1000;

const windowBadge = (w) => (w?.open ? badge(t('conv.window_open'), 'ok') : badge(t('conv.window_closed'), 'neutral'));

// Runs fn at most once per `ms` after a burst of feed events.
function debounce(fn, ms = 200) {
  let timer = 0;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

const isMessageEvent = (ev, instanceId) => ev.type === 'feed.resync' || (ev.type?.startsWith('message.') && ev.instance_id === instanceId);

export async function list({ params, onLeave }) {
  const id = params.id;
  const inst = await get(`/v1/instances/${enc(id)}`);
  const listEl = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' });
  let items = [];
  let cursor = null;
  const more = h('button', { type: 'button', class: 'btn' }, t('common.load_more'));
  more.hidden = true;

  async function load(append = false) {
    let r;
    try {
      r = await get(`/v1/instances/${enc(id)}/conversations`, { limit: 50, cursor: append ? cursor : null });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code !== 'instance_not_found') {
        replace(listEl, empty(t('conv.unavailable'), t('conv.unavailable_text'), h('a', { class: 'btn', href: `/instances/${enc(id)}/messages` }, t('nav.messages'))));
        return;
      }
      throw e;
    }
    items = append ? items.concat(r.data) : r.data;
    cursor = r.next_cursor;
    more.hidden = !cursor;
    listEl.removeAttribute('aria-busy');
    replace(listEl, items.length ? h('ul', { class: 'list' }, ...items.map((c) => h('li', null, row(id, c))))
      : empty(t('conv.empty_title'), t('conv.empty_text')));
  }
  more.addEventListener('click', () => load(true).catch(async (e) => toast(await describe(e), 'error')));
  await load();
  const refresh = debounce(() => load().catch(() => {}), 300);
  onLeave(onFeed((ev) => { if (isMessageEvent(ev, id)) refresh(); }));

  const peer = field(t('conv.new_peer'), { name: 'peer', required: true, inputmode: 'tel', placeholder: '4915112345678', class: 'mono', pattern: '\\+?[0-9 ]{6,20}' }, t('conv.new_peer_hint'));
  const start = form({ children: [peer.wrap], submit: t('conv.open'), fields: { peer: peer.input },
    onSubmit: (v) => navigate(`/instances/${enc(id)}/conversations/${enc(v.peer.replace(/[^0-9]/g, ''))}`) });
  return h('div', null, h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name)),
    heading(t('conv.title'), instanceLinks(id)), listEl, h('div', { class: 'actions' }, more),
    h('details', { class: 'card' }, h('summary', null, t('conv.new')), start));
}

function row(id, c) {
  const lm = c.last_message || {};
  return h('a', { class: 'list-item convo-item', href: `/instances/${enc(id)}/conversations/${enc(c.peer)}` },
    h('div', { class: 'convo-main' },
      h('div', { class: 'title' }, c.profile_name || `+${c.peer}`, c.profile_name ? h('span', { class: 'muted small mono' }, `+${c.peer}`) : null),
      h('div', { class: 'preview' },
        lm.direction === 'outbound' ? [tick(lm.status), h('span', { class: 'sr-only' }, t('conv.you_wrote'))] : h('span', { class: 'sr-only' }, t('conv.they_wrote')),
        h('span', null, lm.preview ?? ''))),
    h('div', { class: 'side' },
      h('span', { class: 'meta' }, timeEl(lm.created_at)),
      h('span', { class: 'row' },
        c.unread_inbound ? badge(t('conv.unread', { n: c.unread_inbound }), 'count') : null,
        windowBadge(c.window))));
}

// ---- one conversation ----

export async function view({ params, onLeave }) {
  const id = params.id;
  const peer = params.peer;
  const base = `/v1/instances/${enc(id)}`;
  const inst = await get(base);
  let conv = null;
  let messages = [];
  let cursor = null;
  let markedUpTo = '';

  const thread = h('ol', { class: 'thread', 'aria-label': t('conv.thread'), tabindex: '0' });
  const older = h('button', { type: 'button', class: 'btn btn-small' }, t('conv.older'));
  const windowEl = h('p', { class: 'window-state', role: 'status' });
  const title = h('span');
  const subtitle = h('p', { class: 'muted mono small' });

  async function loadConv() {
    try {
      conv = await get(`${base}/conversations/${enc(peer)}`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      conv = null;  // a new conversation, or a daemon without the route: work it out from the messages
    }
  }
  async function loadMessages(append = false) {
    const r = await get(`${base}/messages`, { peer, limit: 50, cursor: append ? cursor : null });
    const page = (r.data || []).slice().reverse();
    messages = append ? page.concat(messages) : page;
    cursor = r.next_cursor;
    older.hidden = !cursor;
  }
  // The window from the API, else from the newest inbound message (Meta: 24 h after it).
  function windowState() {
    if (conv?.window) return conv.window;
    const last = messages.filter((m) => m.direction === 'inbound').at(-1);
    const until = last ? toDate(last.created_at).getTime() + DAY : null;
    return { open: !!until && until > Date.now(), open_until: until };
  }

  async function drawThread() {
    const stick = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    const bubbles = await Promise.all(messages.map(async (m) => h('li', { class: `bubble ${m.direction === 'inbound' ? 'in' : 'out'}` },
      h('span', { class: 'sr-only' }, m.direction === 'inbound' ? t('conv.they_wrote') : t('conv.you_wrote')),
      content(m, id, inst.media_fetch),
      m.status === 'failed' || m.status === 'dead' ? await errorExplained(m.error || { title: t('msg.failed') }) : null,
      h('div', { class: 'foot' }, h('a', { href: `/messages/${enc(m.id)}` }, timeEl(m.created_at), h('span', { class: 'sr-only' }, ` ${t('conv.details')}`)),
        m.direction === 'outbound' ? tick(m.status) : null))));
    replace(thread, ...(messages.length ? bubbles : [h('li', { class: 'muted' }, t('conv.no_messages'))]));
    if (stick || !thread.dataset.drawn) thread.scrollTop = thread.scrollHeight;
    thread.dataset.drawn = '1';
  }

  function drawHeader() {
    const name = conv?.profile_name;
    replace(title, name || `+${peer}`);
    replace(subtitle, name ? `+${peer}` : '');
  }

  // Read receipts: only while this page is visible and focused, once per newest inbound message.
  async function markRead() {
    if (document.visibilityState !== 'visible' || !document.hasFocus()) return;
    const last = messages.filter((m) => m.direction === 'inbound').at(-1);
    if (!last || last.id === markedUpTo) return;
    if (conv && !conv.unread_inbound && !markedUpTo) { markedUpTo = last.id; return; }
    markedUpTo = last.id;
    try {
      await post(`${base}/conversations/${enc(peer)}/read`);
      if (conv) conv.unread_inbound = 0;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) markedUpTo = '';
    }
  }

  await Promise.all([loadConv(), loadMessages()]);
  drawHeader();
  await drawThread();

  const composer = makeComposer({ base, peer, windowState, windowEl, onSent: () => refresh() });
  composer.update();

  const refresh = debounce(async () => {
    try {
      await Promise.all([loadConv(), loadMessages()]);
      drawHeader();
      await drawThread();
      composer.update();
      markRead();
    } catch { /* the banner says what went wrong; the next event retries */ }
  }, 150);
  onLeave(onFeed((ev) => {
    if (!isMessageEvent(ev, id)) return;
    const d = ev.data || {};
    const who = d.from || d.recipient_id || d.peer || d.to;
    if (ev.type === 'feed.resync' || !who || who === peer || messages.some((m) => m.id === d.message_id)) refresh();
  }));
  older.addEventListener('click', async () => {
    const top = thread.scrollHeight;
    try { await loadMessages(true); await drawThread(); thread.scrollTop = thread.scrollHeight - top; } catch (e) { toast(await describe(e), 'error'); }
  });
  const onVis = () => markRead();
  document.addEventListener('visibilitychange', onVis);
  window.addEventListener('focus', onVis);
  const tickTimer = setInterval(() => composer.update(), 30000);
  onLeave(() => {
    document.removeEventListener('visibilitychange', onVis);
    window.removeEventListener('focus', onVis);
    clearInterval(tickTimer);
  });
  setTimeout(markRead, 0);

  return h('div', { class: 'convo' },
    h('div', null,
      h('p', { class: 'crumbs' }, h('a', { href: '/instances' }, t('inst.title')), ' / ', h('a', { href: `/instances/${enc(id)}` }, inst.name), ' / ',
        h('a', { href: `/instances/${enc(id)}/conversations` }, t('conv.title'))),
      h('div', { class: 'convo-head' }, h('div', null, h('h1', { tabindex: '-1' }, title), subtitle), windowEl)),
    h('div', null, h('div', { class: 'row' }, older), thread),
    composer.el);
}

// ---- the composer ----

function makeComposer({ base, peer, windowState, windowEl, onSent }) {
  let idem = crypto.randomUUID();
  const send = async (body) => {
    // The same key on a retry after a lost connection: the daemon then answers without sending twice.
    try {
      await api('POST', `${base}/messages`, { to: peer, ...body }, { headers: { 'Idempotency-Key': idem } });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 0) idem = crypto.randomUUID();
      throw e;
    }
    idem = crypto.randomUUID();
    onSent();
  };

  // Free text.
  const text = field(t('conv.text'), { name: 'text', rows: '2', required: true, maxlength: '4096' }, null, { tag: 'textarea' });
  const closedNote = h('p', { class: 'closed-note' }, t('conv.closed_note'));
  text.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); textForm.requestSubmit(); }
  });
  const textForm = form({
    children: [text.wrap, closedNote], submit: t('conv.send'), fields: { text: text.input }, cls: 'compose-text',
    aliases: { 'text.body': 'text' },
    onSubmit: async (v) => {
      await send({ type: 'text', text: { body: v.text } });
      text.input.value = '';
      text.input.focus();
    },
  });

  // Templates.
  const tplDetails = h('details', null, h('summary', null, t('conv.template')));
  let loaded = false;
  tplDetails.addEventListener('toggle', () => { if (tplDetails.open && !loaded) { loaded = true; loadTemplates(); } });
  const tplBody = h('div', { class: 'stack' }, h('p', { class: 'muted' }, t('common.loading')));
  tplDetails.appendChild(tplBody);

  async function loadTemplates() {
    let r;
    try { r = await get(`${base}/templates`, { limit: 100, status: 'APPROVED' }); } catch (e) {
      replace(tplBody, h('p', { class: 'form-error' }, await describe(e)));
      loaded = false;
      return;
    }
    const tpls = (r.data || []).filter((x) => !x.status || x.status === 'APPROVED');
    if (!tpls.length) { replace(tplBody, h('p', { class: 'muted' }, t('conv.no_templates'))); return; }
    const pick = field(t('conv.template_pick'), { name: 'template' }, null,
      { tag: 'select', options: [['', t('conv.template_choose')], ...tpls.map((x, i) => [String(i), `${x.name} (${x.language})`])] });
    const params = h('div', { class: 'stack' });
    const pv = h('div', { class: 'preview-box', 'aria-live': 'polite' });
    const pvWrap = h('div', null, h('div', { class: 'hint' }, t('conv.preview')), pv);
    const sendBtn = h('button', { type: 'button', class: 'btn btn-primary' }, t('conv.send_template'));
    const err = h('div', { class: 'form-error', role: 'alert' });
    let inputs = [];
    let chosen = null;
    const draw = () => {
      chosen = pick.input.value === '' ? null : tpls[Number(pick.input.value)] || null;
      inputs = [];
      replace(params);
      pvWrap.hidden = sendBtn.hidden = !chosen;
      if (!chosen) return;
      for (const comp of chosen.components || []) {
        if (!comp.text || (comp.type !== 'BODY' && comp.type !== 'HEADER')) continue;
        const names = [...new Set([...comp.text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]))];
        for (const n of names) {
          const f = field(t('conv.param', { part: t(`conv.part_${comp.type}`), name: n }), { name: `${comp.type}-${n}`, required: true });
          f.input.addEventListener('input', renderPreview);
          inputs.push({ comp: comp.type, name: n, input: f.input });
          params.appendChild(f.wrap);
        }
      }
      renderPreview();
    };
    function renderPreview() {
      if (!chosen) return;
      const fill = (type, s) => s.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, n) => inputs.find((i) => i.comp === type && i.name === n)?.input.value || m);
      replace(pv, ...(chosen.components || []).filter((c) => c.text).map((c) => h('div', { class: c.type === 'HEADER' ? 'text strong' : c.type === 'FOOTER' ? 'muted small' : 'text' }, fill(c.type, c.text))));
    }
    pick.input.addEventListener('change', draw);
    sendBtn.addEventListener('click', async () => {
      replace(err);
      const missing = inputs.find((i) => !i.input.value.trim());
      if (missing) { showFieldError(missing.input, t('conv.param_missing')); missing.input.focus(); return; }
      const named = chosen.parameter_format === 'NAMED' || inputs.some((i) => !/^\d+$/.test(i.name));
      const components = ['HEADER', 'BODY'].map((type) => {
        const ps = inputs.filter((i) => i.comp === type);
        return ps.length ? { type: type.toLowerCase(), parameters: ps.map((i) => (named ? { type: 'text', parameter_name: i.name, text: i.input.value } : { type: 'text', text: i.input.value })) } : null;
      }).filter(Boolean);
      sendBtn.disabled = true;
      try {
        await send({ type: 'template', template: { name: chosen.name, language: { code: chosen.language }, ...(components.length ? { components } : {}) } });
        toast(t('conv.template_sent'));
        for (const i of inputs) i.input.value = '';
        renderPreview();
      } catch (e) {
        replace(err, await describe(e));
      } finally { sendBtn.disabled = false; }
    });
    draw();
    replace(tplBody, pick.wrap, params, pvWrap, err, h('div', { class: 'actions' }, sendBtn));
  }

  // Files: uploaded to Meta first, then sent by media id.
  const file = field(t('conv.file'), { type: 'file', name: 'file', required: true, accept: 'image/jpeg,image/png,image/webp,video/mp4,video/3gpp,audio/*,application/pdf,text/plain,.doc,.docx,.xls,.xlsx,.ppt,.pptx' });
  const caption = field(t('conv.caption'), { name: 'caption', maxlength: '1024' });
  const fileForm = form({
    children: [file.wrap, caption.wrap], submit: t('conv.send_file'), fields: { caption: caption.input, file: file.input },
    onSubmit: async (v) => {
      const f = file.input.files[0];
      const up = await upload(base, f);
      const kind = f.type.startsWith('image/') ? 'image' : f.type.startsWith('video/') ? 'video' : f.type.startsWith('audio/') ? 'audio' : 'document';
      const media = { id: up.id };
      if (v.caption && kind !== 'audio') media.caption = v.caption;
      if (kind === 'document') media.filename = f.name;
      await send({ type: kind, [kind]: media });
      file.input.value = '';
      caption.input.value = '';
      toast(t('conv.file_sent'));
    },
  });
  const fileDetails = h('details', null, h('summary', null, t('conv.attach')), fileForm);

  const el = h('section', { class: 'composer', 'aria-label': t('conv.composer') }, textForm, tplDetails, fileDetails);
  let wasOpen = null;
  function update() {
    const w = windowState();
    const open = !!w.open && (!w.open_until || w.open_until > Date.now());
    replace(windowEl, open ? [badge(t('conv.window_open'), 'ok'), ' ', w.open_until ? t('conv.window_left', { left: duration(w.open_until - Date.now()) }) : '']
      : [badge(t('conv.window_closed'), 'neutral'), ' ', t('conv.window_closed_text')]);
    text.input.disabled = !open;
    textForm.submitButton.disabled = !open;
    closedNote.hidden = open;
    if (wasOpen !== open && !open) tplDetails.open = true;  // closed: templates are the way in
    wasOpen = open;
  }
  return { el, update };
}

// Multipart upload. The daemon admits a cookie-authenticated multipart body only when the browser
// marks the fetch `Sec-Fetch-Site: same-origin` (it does, for this page's own fetch).
async function upload(base, f) {
  const body = new FormData();
  body.append('file', f, f.name);
  let res;
  try {
    res = await fetch(`${base}/media`, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch {
    throw new ApiError(0, {});
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, { ...data, field: data.field === 'file' || !data.field ? 'file' : data.field });
  return data;
}
