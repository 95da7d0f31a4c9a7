// messages.js: what pages say about a message: a one-line preview of its content, its media
// (inbound media through the daemon's proxy), and Meta's error in plain words.
import { h } from './dom.js';
import { t } from './i18n.js';
import { enc, metaErrorTable } from './api.js';

const MEDIA = ['image', 'video', 'audio', 'document', 'sticker'];

// A short text for lists: the body, the caption, the template's name, or "[image]".
export function preview(m) {
  const b = m.message || {};
  const type = b.type || m.type;
  if (type === 'text') return b.text?.body ?? '';
  if (MEDIA.includes(type)) return b[type]?.caption || b[type]?.filename || `[${t(`type.${type}`)}]`;
  if (type === 'template') return `${t('type.template')}: ${b.template?.name ?? ''}`;
  if (type === 'interactive') return b.interactive?.body?.text || b.interactive?.button_reply?.title || b.interactive?.list_reply?.title || `[${type}]`;
  if (type === 'button') return b.button?.text || '[button]';
  if (type === 'reaction') return `${t('type.reaction')} ${b.reaction?.emoji ?? ''}`;
  if (type === 'location') return `[${t('type.location')}] ${b.location?.name ?? ''}`;
  return `[${type || '?'}]`;
}

// The body of a bubble: text, or a media preview with its caption.
// mediaFetch: whether the instance keeps received media (else the proxy has nothing to show).
export function content(m, instanceId, mediaFetch = true) {
  const b = m.message || {};
  const type = b.type || m.type;
  if (!MEDIA.includes(type)) return h('div', { class: 'text' }, preview(m));
  const media = b[type] || {};
  const caption = media.caption ? h('div', { class: 'text' }, media.caption) : null;
  if (m.direction !== 'inbound' || !media.id) {
    return h('div', null, h('div', { class: 'kind' }, `[${t(`type.${type}`)}]`), caption);
  }
  const src = `/v1/instances/${enc(instanceId)}/inbound-media/${enc(media.id)}`;
  if (type === 'image' || type === 'sticker') {
    const img = h('img', { src, alt: media.caption || t('msg.image_alt'), loading: 'lazy' });
    // The copy is fetched from Meta just after the message arrives: try once more, then offer
    // the file as a download (or say why there is none).
    let retried = false;
    img.addEventListener('error', () => {
      if (!retried && mediaFetch) { retried = true; setTimeout(() => { img.src = `${src}?retry=1`; }, 2500); return; }
      img.replaceWith(mediaFetch ? h('a', { href: src, download: true }, t('msg.download', { type: t(`type.${type}`) }))
        : h('div', { class: 'kind' }, t('msg.media_missing', { type: t(`type.${type}`) })));
    });
    return h('div', null, img, caption);
  }
  return h('div', null, h('a', { href: src, download: media.filename || true }, t('msg.download', { type: t(`type.${type}`) })), caption);
}

// "Meta error 131047 (Re-engagement message): <explanation> <action>" as a paragraph.
export async function errorExplained(err) {
  if (!err) return null;
  const code = err.code;
  const m = code !== null && code !== undefined ? (await metaErrorTable()).get(Number(code)) : null;
  return h('div', { class: 'err' },
    h('strong', null, code ? t('meta.says', { code, title: m?.title || err.title || '' }) : (err.title || t('msg.failed'))),
    m ? [' ', m.explanation, ' ', h('em', null, m.action)] : null);
}
