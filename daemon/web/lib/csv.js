// csv.js: reads a broadcast's recipient list (RFC 4180 CSV) the way the API does
// (daemon/lib/broadcasts/recipients.cpp): a header whose first column is `to` (or `phone`) and
// whose other columns are named by role (columnOf), then one record per recipient, numbered by the line it starts on (the header is line 1; a
// quoted field may span lines). Pure: no DOM, no text; pages turn the codes into words.

// text → {header, rows: [{line, fields}]} or {error: 'unterminated' | 'header' | 'empty', line?}.
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);  // a byte-order mark (spreadsheets)
  const records = [];
  let fields = [];
  let cur = '';
  let quoted = false;
  let touched = false;  // the record has a quoted field (an empty "" still counts)
  let line = 1;
  let start = 1;
  const endRecord = () => {
    fields.push(cur);
    if (touched || fields.some((f) => f.trim() !== '')) records.push({ line: start, fields });
    fields = [];
    cur = '';
    touched = false;
  };
  for (let i = 0; i < text.length; ++i) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cur += '"'; ++i; } else if (ch === '"') quoted = false;
      else { if (ch === '\n') ++line; cur += ch; }
    } else if (ch === '"' && cur === '') { quoted = true; touched = true; } else if (ch === ',') { fields.push(cur); cur = ''; } else if (ch === '\r' && text[i + 1] === '\n') {
      // the \n that follows ends the record
    } else if (ch === '\n' || ch === '\r') { endRecord(); ++line; start = line; } else cur += ch;
  }
  if (quoted) return { error: 'unterminated', line: start };
  if (cur !== '' || fields.length || touched) endRecord();
  const [head, ...rest] = records;
  if (!head || head.line !== 1 || !['to', 'phone'].includes(head.fields[0].trim().toLowerCase())) return { error: 'header' };
  if (!rest.length) return { error: 'empty' };
  return { header: head.fields, rows: rest };
}

// A header column's role, by its name as the API reads it: `header_text`, `header_image`,
// `header_document`, `header_video` (the template's header), `button_<n>_payload` /
// `button_<n>_url` (button n's quick-reply payload or URL suffix); any other is a body parameter.
export function columnOf(name) {
  const head = /^header_(text|image|document|video)$/.exec(name);
  if (head) return { what: 'header', type: head[1] };
  const button = /^button_([0-9])_(payload|url)$/.exec(name);
  if (button) return { what: 'button', index: Number(button[1]), subType: button[2] === 'url' ? 'url' : 'quick_reply' };
  return { what: 'body' };
}

// One row's fields → {to, parameters, header?, buttons?} in the API's JSON shape.
function recipientOf(fields, roles) {
  const r = { to: fields[0].trim(), parameters: [] };
  const buttons = [];
  roles.forEach((c, i) => {
    const v = fields[i + 1];
    if (c.what === 'body') r.parameters.push(v);
    else if (c.what === 'header') r.header = c.type === 'text' ? { type: 'text', text: v } : { type: c.type, link: v };
    else buttons.push(c.subType === 'url' ? { index: c.index, sub_type: 'url', text: v } : { index: c.index, sub_type: 'quick_reply', payload: v });
  });
  if (buttons.length) r.buttons = buttons.sort((a, b) => a.index - b.index);
  return r;
}

// A parsed CSV → {recipients: [{to, parameters, header?, buttons?}], lines, local} or
// {error: 'duplicate_column', column}: lines[i] is the file line of recipients[i] (the API
// numbers JSON rows by position, 1-based); `local` lists the rows whose column count differs
// from the header's ({row, columns, header}), which cannot be sent as JSON.
export function toRecipients(csv) {
  const roles = csv.header.slice(1).map(columnOf);
  const seen = new Set();
  for (const [i, c] of roles.entries()) {
    const key = c.what === 'header' ? 'header' : c.what === 'button' ? `button ${c.index}` : null;
    if (key && seen.has(key)) return { error: 'duplicate_column', column: csv.header[i + 1] };
    if (key) seen.add(key);
  }
  const recipients = [];
  const lines = [];
  const local = [];
  for (const r of csv.rows) {
    if (r.fields.length !== csv.header.length) {
      local.push({ row: r.line, columns: r.fields.length, header: csv.header.length });
      continue;
    }
    recipients.push(recipientOf(r.fields, roles));
    lines.push(r.line);
  }
  return { recipients, lines, local };
}

// The API's rejected rows ({row: position}) → the same rows by file line.
export const byLine = (rejected, lines) => rejected.map((r) => ({ ...r, row: lines[r.row - 1] ?? r.row }));
