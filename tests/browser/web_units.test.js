// Unit tests of the web app's pure modules (no browser, no daemon): the recipient CSV reader of
// the broadcast form (daemon/web/lib/csv.js), which must number rows by line as the API does
// (daemon/lib/broadcasts/recipients.cpp), and the template form's conversions and checks
// (daemon/web/lib/template_form.js), and the broadcast events' counts in the API's names
// (daemon/web/lib/broadcast_counts.js). Run: `node --test web_units.test.js` (CTest: web_units).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv, toRecipients, byLine, columnOf } from '../../daemon/web/lib/csv.js';
import { countsFromEvent } from '../../daemon/web/lib/broadcast_counts.js';
import { placeholders, fromComponents, toComponents, templateProblems } from '../../daemon/web/lib/template_form.js';

describe('csv.js', () => {
  it('numbers records by the line they start on, the header being line 1', () => {
    const csv = parseCsv('to,name\r\n+4915112345678,Ana\r\n\r\n4917612345678,"Bo\nB"\n4917612345679,Cy\n');
    assert.equal(csv.error, undefined);
    assert.deepEqual(csv.header, ['to', 'name']);
    assert.deepEqual(csv.rows.map((r) => r.line), [2, 4, 6], 'the blank line 3 is skipped; the quoted newline moves line 6');
    assert.deepEqual(csv.rows[1].fields, ['4917612345678', 'Bo\nB']);
  });

  it('reads doubled quotes, a byte-order mark and a last line without a newline', () => {
    const csv = parseCsv('\ufeffphone,a\n1555,"say ""hi"", ok"');
    assert.deepEqual(csv.rows, [{ line: 2, fields: ['1555', 'say "hi", ok'] }]);
  });

  it('refuses a missing header, an empty list and an unterminated quote', () => {
    assert.deepEqual(parseCsv('number,a\n1,2\n'), { error: 'header' });
    assert.deepEqual(parseCsv('to\n\n'), { error: 'empty' });
    assert.deepEqual(parseCsv('to,a\n1,2\n3,"open\n'), { error: 'unterminated', line: 3 });
  });

  it('keeps the file line of each recipient and rejects a row with the wrong column count', () => {
    const { recipients, lines, local } = toRecipients(parseCsv('to,a,b\n+1555 0001,x,y\n1555,only\n15550002,p,q\n'));
    assert.deepEqual(recipients, [{ to: '+1555 0001', parameters: ['x', 'y'] }, { to: '15550002', parameters: ['p', 'q'] }]);
    assert.deepEqual(lines, [2, 4]);
    assert.deepEqual(local, [{ row: 3, columns: 2, header: 3 }]);
    // The API's row 2 (a JSON position) is the file's line 4.
    assert.deepEqual(byLine([{ row: 2, field: 'to', detail: 'x' }], lines), [{ row: 4, field: 'to', detail: 'x' }]);
  });
});

describe('csv.js columns', () => {
  it('reads header and button columns by name, the others as body parameters in order', () => {
    assert.deepEqual(columnOf('header_document'), { what: 'header', type: 'document' });
    assert.deepEqual(columnOf('button_1_payload'), { what: 'button', index: 1, subType: 'quick_reply' });
    assert.deepEqual(columnOf('Header_text'), { what: 'body' }, 'names are exact, as in the API');
    const { recipients } = toRecipients(parseCsv('to,name,button_1_payload,header_text,order,button_0_url\n1555000111,Ana,stop-1,Summer,#1,o/1\n'));
    assert.deepEqual(recipients, [{
      to: '1555000111', parameters: ['Ana', '#1'], header: { type: 'text', text: 'Summer' },
      buttons: [{ index: 0, sub_type: 'url', text: 'o/1' }, { index: 1, sub_type: 'quick_reply', payload: 'stop-1' }],
    }]);
    assert.deepEqual(toRecipients(parseCsv('to,header_image\n1555000111,https://x/a.png\n')).recipients[0].header, { type: 'image', link: 'https://x/a.png' });
  });

  it('refuses two columns for one header or one button', () => {
    assert.deepEqual(toRecipients(parseCsv('to,header_text,header_image\n1,a,b\n')), { error: 'duplicate_column', column: 'header_image' });
    assert.deepEqual(toRecipients(parseCsv('to,button_0_url,button_0_payload\n1,a,b\n')), { error: 'duplicate_column', column: 'button_0_payload' });
  });
});

describe('template_form.js', () => {
  it('finds each placeholder once, positional or named', () => {
    assert.deepEqual(placeholders('Hi {{1}}, order {{2}} for {{1}}'), ['1', '2']);
    assert.deepEqual(placeholders('Hi {{ first_name }}'), ['first_name']);
    assert.deepEqual(placeholders('no params'), []);
  });

  it('builds Meta\'s components with an example for every placeholder, and reads them back', () => {
    const v = {
      header: 'Order {{1}}', headerExamples: ['#1001'], body: 'Hi {{1}}, it ships {{2}}.', bodyExamples: ['Ana', 'today'],
      footer: 'Shop', buttons: [{ type: 'QUICK_REPLY', text: 'Thanks', url: '', example: '' },
        { type: 'URL', text: 'Track', url: 'https://example.com/t/{{1}}', example: 'abc' }],
    };
    const c = toComponents(v);
    assert.deepEqual(c, [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#1001'] } },
      { type: 'BODY', text: 'Hi {{1}}, it ships {{2}}.', example: { body_text: [['Ana', 'today']] } },
      { type: 'FOOTER', text: 'Shop' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Thanks' }, { type: 'URL', text: 'Track', url: 'https://example.com/t/{{1}}', example: ['abc'] }] },
    ]);
    assert.deepEqual(fromComponents(c), v);
    assert.deepEqual(toComponents({ header: ' ', headerExamples: [], body: 'Plain', bodyExamples: [], footer: '', buttons: [] }),
      [{ type: 'BODY', text: 'Plain' }], 'empty parts and examples are left out');
  });

  it('names the field of each thing Meta would refuse', () => {
    const ok = { header: '', headerExamples: [], body: 'Hi {{1}}', bodyExamples: ['Ana'], footer: '', buttons: [] };
    assert.deepEqual(templateProblems(ok), []);
    const keys = templateProblems({
      header: 'x'.repeat(61), headerExamples: [], body: 'Hi {{1}} {{2}}', bodyExamples: ['Ana', ' '], footer: '',
      buttons: [{ type: 'URL', text: 'A button text over 25 chars', url: 'example.com', example: '' }],
    }).map((p) => `${p.key}:${p.code}`);
    assert.deepEqual(keys, ['header:too_long', 'body_ex_1:example', 'btn_text_0:button_text', 'btn_url_0:url']);
    assert.deepEqual(templateProblems({ ...ok, body: '' }).map((p) => p.key), ['body']);
    assert.deepEqual(templateProblems({ ...ok, body: 'é'.repeat(1024) }), [], 'characters are counted, not bytes');
  });
});

describe('broadcast_counts.js', () => {
  it('sums an event\'s raw statuses the way the API names its counts', () => {
    const c = countsFromEvent({ by_status: { accepted: 2, sending: 1, sent: 4, read: 1, failed: 1, dead: 2, cancelled: 3 }, failed_by_code: { 131026: 3 } });
    assert.deepEqual(c, { queued: 3, sent: 4, delivered: 0, read: 1, failed: 3, failed_by_code: { 131026: 3 }, expired: 0, cancelled: 3, skipped_opted_out: 0 });
    assert.equal(countsFromEvent(undefined).queued, 0);
  });
});
