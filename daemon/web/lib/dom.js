// dom.js: the tiny element builder every page uses. Text always goes in as text nodes, never
// through innerHTML, so data from the API can never become markup.

// h('a', {href: '/x', class: 'btn', onclick: fn}, 'text', child, [more]) → an element.
// Attributes: on* functions become listeners; value/checked/disabled/selected/hidden are set as
// properties; true adds a boolean attribute; null/undefined/false are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

// Appends strings, numbers, nodes and (nested) arrays; skips null/false/undefined.
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

// Replaces everything inside el.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A text run only screen readers hear (e.g. the name of a tick glyph).
export const sr = (text) => h('span', { class: 'sr-only' }, text);

let uid = 0;
// A unique id for label/description wiring.
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;
