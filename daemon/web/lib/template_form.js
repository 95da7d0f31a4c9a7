// template_form.js: the pure half of the template form (pages/templates.js): Meta's template
// components to and from the form's plain values, and the checks Meta would refuse a definition
// for, made before asking it. No DOM, no text: problems are {key, code, n?} for the page to word.

// The distinct {{1}} / {{name}} placeholders of a text, in order of first use.
export function placeholders(text) {
  const seen = [];
  for (const m of (text || '').matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

// Meta's components → {header, headerExamples, body, bodyExamples, footer, buttons}. Only the
// parts this form edits are read (a text header; quick-reply and URL buttons).
export function fromComponents(components = []) {
  const v = { header: '', headerExamples: [], body: '', bodyExamples: [], footer: '', buttons: [] };
  for (const c of components) {
    const type = String(c.type || '').toUpperCase();
    if (type === 'HEADER' && String(c.format || '').toUpperCase() === 'TEXT') {
      v.header = c.text || '';
      v.headerExamples = c.example?.header_text || [];
    } else if (type === 'BODY') {
      v.body = c.text || '';
      v.bodyExamples = c.example?.body_text?.[0] || [];
    } else if (type === 'FOOTER') {
      v.footer = c.text || '';
    } else if (type === 'BUTTONS') {
      v.buttons = (c.buttons || []).filter((b) => b.type === 'QUICK_REPLY' || b.type === 'URL')
        .map((b) => ({ type: b.type, text: b.text || '', url: b.url || '', example: b.example?.[0] || '' }));
    }
  }
  return v;
}

// The form's plain values → Meta's components, with an example for every placeholder.
export function toComponents(v) {
  const out = [];
  if (v.header.trim()) {
    const c = { type: 'HEADER', format: 'TEXT', text: v.header.trim() };
    if (placeholders(c.text).length) c.example = { header_text: v.headerExamples.map((x) => x.trim()) };
    out.push(c);
  }
  const body = { type: 'BODY', text: v.body.trim() };
  if (placeholders(body.text).length) body.example = { body_text: [v.bodyExamples.map((x) => x.trim())] };
  out.push(body);
  if (v.footer.trim()) out.push({ type: 'FOOTER', text: v.footer.trim() });
  if (v.buttons.length) {
    out.push({ type: 'BUTTONS', buttons: v.buttons.map((b) => {
      if (b.type !== 'URL') return { type: 'QUICK_REPLY', text: b.text.trim() };
      const u = { type: 'URL', text: b.text.trim(), url: b.url.trim() };
      if (placeholders(u.url).length) u.example = [b.example.trim()];
      return u;
    }) });
  }
  return out;
}

const chars = (s) => [...s].length;

// What Meta refuses in a definition (REFERENCE.md, template limits), as [{key, code, n?}]; key
// names the form input: body, header, footer, body_ex_<i>, header_ex_<i>, btn_text_<i>, …
export function templateProblems(v) {
  const out = [];
  if (!v.body.trim()) out.push({ key: 'body', code: 'required' });
  else if (chars(v.body.trim()) > 1024) out.push({ key: 'body', code: 'too_long', n: 1024 });
  if (chars(v.header.trim()) > 60) out.push({ key: 'header', code: 'too_long', n: 60 });
  if (chars(v.footer.trim()) > 60) out.push({ key: 'footer', code: 'too_long', n: 60 });
  v.headerExamples.forEach((x, i) => { if (!x.trim()) out.push({ key: `header_ex_${i}`, code: 'example' }); });
  v.bodyExamples.forEach((x, i) => { if (!x.trim()) out.push({ key: `body_ex_${i}`, code: 'example' }); });
  v.buttons.forEach((b, i) => {
    if (!b.text.trim() || chars(b.text.trim()) > 25) out.push({ key: `btn_text_${i}`, code: 'button_text' });
    if (b.type === 'URL' && !/^https?:\/\/\S+$/.test(b.url.trim())) out.push({ key: `btn_url_${i}`, code: 'url' });
    else if (b.type === 'URL' && placeholders(b.url).length && !b.example.trim()) out.push({ key: `btn_ex_${i}`, code: 'example' });
  });
  return out;
}
