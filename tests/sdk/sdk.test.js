// Issue 19's proof that the Graph-compatible surface is whole enough for a real SDK: a published
// WhatsApp Cloud API SDK from npm (@kapso/whatsapp-cloud-api, pinned by package-lock.json) with
// its base URL set to Enfinito's `/graph` and an Enfinito API key as its token. Through the SDK
// alone it sends every message type, reads the phone number, its WABA's numbers and its business
// profile, lists and creates templates, and uploads media. Each step checks the SDK's parsed
// answer and what the fake Graph API (tools/fake_graph) received, through its /_admin API.
// Real processes on loopback ports (tests/browser/lib/processes.js): enfinitod and fake-graph.
// The steps share one world and run in order; once one fails the later ones are skipped, so the
// first failure is the one to read. Run by CTest (label `sdk`) or by hand: `npm test` here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GraphApiError, WhatsAppClient } from '@kapso/whatsapp-cloud-api';
import {
  fake_credentials, free_port, start_daemon, start_fake_graph, stop_all, wait_for,
} from '../browser/lib/processes.js';

const phone = fake_credentials.phone_number_id;
const waba = fake_credentials.waba_id;
const admin = { email: 'sdk-admin@example.com', name: 'Ada Admin', password: 'sdk-admin-password-1234' };
// A customer of the gateway (an administrator would need a second factor first).
const user = { email: 'sdk-user@example.com', name: 'Sam SDK', password: 'sdk-user-password-1234' };
const peer = { wa_id: '4915112345678', name: 'Peter Peer' };
const to = `+${peer.wa_id}`;

const w = {};  // the shared world: processes, the SDK client, ids found along the way
let broken = null;

function step(name, fn, timeout = 30000) {
  it(name, { timeout }, async (t) => {
    if (broken) { t.skip(`skipped: "${broken}" failed`); return; }
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      if (w.daemon) console.error(`--- enfinitod log (tail) ---\n${w.daemon.log().split('\n').slice(-40).join('\n')}`);
      throw e;
    }
  });
}

// Enfinito's own REST API, for the set-up an operator does once (sign-in, API key, instance).
async function api(method, url, { cookie, bearer, body } = {}) {
  const headers = { accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) { headers['content-type'] = 'application/json'; headers.origin = w.daemon.public_url; }
  const r = await fetch(w.daemon.public_url + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

// What the fake Graph API received for a wamid (its message log), bounded wait: the send may be
// answered before Meta did (message_status accepted), and then reaches it shortly after.
async function received(wamid) {
  return wait_for(`the fake Graph API to log ${wamid}`, async () => {
    const log = await w.meta.admin('GET', `messages?phone_number_id=${phone}`);
    return log.messages.find((m) => m.wamid === wamid);
  }, 10000, 50);
}

// A send's answer as the SDK parsed it (Meta's shape, camel-cased by the SDK): the real wamid,
// and the recipient Meta resolved. Returns the fake's log entry for it.
async function sent_as_meta_answers(answer, type) {
  assert.equal(answer.messagingProduct, 'whatsapp');
  assert.equal(answer.contacts?.[0]?.input, to);
  assert.equal(answer.contacts?.[0]?.waId, peer.wa_id);
  const wamid = answer.messages?.[0]?.id;
  assert.match(wamid ?? '', /^wamid\./, `Meta's wamid, not Enfinito's id: ${JSON.stringify(answer)}`);
  const at_meta = await received(wamid);
  assert.equal(at_meta.type, type);
  assert.equal(at_meta.outcome, 'accepted', `the fake accepted it: ${JSON.stringify(at_meta)}`);
  assert.equal(at_meta.wa_id, peer.wa_id);
  return at_meta.request;
}

// A few bytes that start like the real format (the fake checks type and size, not content).
function file_of(type, size = 256) {
  const magic = {
    'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    'image/webp': [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
    'audio/ogg': [0x4f, 0x67, 0x67, 0x53],
    'video/mp4': [0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70],
    'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d],
  }[type];
  const bytes = new Uint8Array(size);
  bytes.set(magic);
  for (let i = magic.length; i < size; ++i) bytes[i] = i % 251;
  return new Blob([bytes], { type });
}

describe('a published Cloud API SDK against /graph', { concurrency: 1 }, () => {
  before(async () => {
    w.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enfinito-sdk-'));
    w.meta = await start_fake_graph(w.dir);
    // No mail is expected here: the SMTP port only has to be valid (nothing listens on it).
    w.daemon = await start_daemon(w.dir, { meta_base_url: w.meta.base_url, smtp_port: await free_port() });
  });

  after(async () => {
    await stop_all();
    if (!broken) fs.rmSync(w.dir, { recursive: true, force: true });
    else console.error(`processes' logs kept in ${w.dir}`);
  });

  step('a user signs up, is approved, connects the fake number and makes an API key (Enfinito REST)', async () => {
    await w.daemon.create_admin(admin.email, admin.name, admin.password);
    const signup = await api('POST', '/v1/auth/signup', { body: { ...user, age_confirmed: true } });
    assert.ok([200, 201, 202].includes(signup.status), signup.text);
    await w.daemon.ctl(['approve', user.email]);
    const signin = await api('POST', '/v1/auth/signin', { body: { email: user.email, password: user.password } });
    assert.equal(signin.status, 200, signin.text);
    const cookie = signin.headers.get('set-cookie').split(';')[0];
    const key = await api('POST', '/v1/api-keys', { cookie, body: { name: 'sdk key' } });
    assert.equal(key.status, 201, key.text);
    w.key = key.json.key;
    const inst = await api('POST', '/v1/instances', {
      bearer: w.key,
      body: { name: 'SDK shop', ...fake_credentials },
    });
    assert.equal(inst.status, 201, inst.text);
    w.instance = inst.json.id;
    // Meta (the fake) delivers webhooks to the instance's callback, as the dashboard would set it.
    const { callback_url, verify_token } = inst.json.webhook;
    await w.meta.admin('POST', 'numbers', { id: phone, callback_url, verify_token, app_secret: fake_credentials.app_secret });
    // The customer writes first: the 24-hour window is open at Meta and in Enfinito.
    const inbound = await w.meta.admin('POST', 'inbound', {
      phone_number_id: phone, from: peer.wa_id, name: peer.name, type: 'text', text: { body: 'Hi, a question' },
    });
    w.inbound_wamid = inbound.id;
    await wait_for('the inbound message in Enfinito', async () =>
      (await api('GET', `/v1/instances/${w.instance}/conversations/${peer.wa_id}`, { bearer: w.key })).status === 200);

    w.sdk = new WhatsAppClient({ accessToken: w.key, baseUrl: `${w.daemon.public_url}/graph` });
    assert.equal(w.sdk.isKapsoProxy(), false, 'plain Cloud API mode, nothing vendor-specific');
  });

  step('the SDK reads the phone number and its WABA\'s numbers', async () => {
    const number = await w.sdk.request('GET', phone, {
      query: { fields: 'id,display_phone_number,verified_name,quality_rating' }, responseType: 'json',
    });
    assert.equal(number.id, phone);
    assert.equal(typeof number.displayPhoneNumber, 'string');
    assert.equal(typeof number.verifiedName, 'string');
    assert.match(number.qualityRating, /^(GREEN|YELLOW|RED|UNKNOWN)$/);
    const list = await w.sdk.request('GET', `${waba}/phone_numbers`, { responseType: 'json' });
    assert.deepEqual(list.data.map((n) => n.id), [phone]);
  });

  step('the SDK reads and updates the business profile', async () => {
    const got = await w.sdk.phoneNumbers.businessProfile.get({ phoneNumberId: phone });
    assert.equal(got.data[0].messagingProduct, 'whatsapp');
    assert.ok('about' in got.data[0] && 'vertical' in got.data[0], JSON.stringify(got));
    const upd = await w.sdk.phoneNumbers.businessProfile.update({
      phoneNumberId: phone, about: 'Open 9 to 5', websites: ['https://shop.example.com/'], vertical: 'RETAIL',
    });
    assert.deepEqual(upd, { success: true });
    const again = await w.sdk.phoneNumbers.businessProfile.get({ phoneNumberId: phone, fields: 'about,websites,vertical' });
    assert.equal(again.data[0].about, 'Open 9 to 5');
    assert.deepEqual(again.data[0].websites, ['https://shop.example.com/']);
    assert.equal(again.data[0].vertical, 'RETAIL');
  });

  step('the SDK uploads media of each kind, and reads one back through Enfinito', async () => {
    w.media = {};
    for (const [kind, type, name] of [
      ['image', 'image/png', 'photo.png'], ['sticker', 'image/webp', 'sticker.webp'], ['audio', 'audio/ogg', 'voice.ogg'],
      ['video', 'video/mp4', 'clip.mp4'], ['document', 'application/pdf', 'invoice.pdf'],
    ]) {
      const up = await w.sdk.media.upload({ phoneNumberId: phone, type, file: file_of(type), fileName: name });
      assert.match(up.id ?? '', /^[0-9]+$/, `Meta's media id for ${type}: ${JSON.stringify(up)}`);
      w.media[kind] = up.id;
    }
    const info = await w.sdk.media.get({ mediaId: w.media.document, phoneNumberId: phone });
    assert.equal(info.mimeType, 'application/pdf');
    assert.equal(Number(info.fileSize), 256);  // a string in Meta's example, a number elsewhere (REFERENCE.md)
    // The URL is Enfinito's proxy (Meta's own would need Meta's token): the SDK downloads it.
    assert.equal(info.url, `${w.daemon.public_url}/v1/instances/${w.instance}/media/${w.media.document}/content`);
    const bytes = new Uint8Array(await w.sdk.media.download({ mediaId: w.media.document, phoneNumberId: phone, auth: 'always' }));
    assert.equal(bytes.length, 256);
    assert.deepEqual([...bytes.slice(0, 5)], [0x25, 0x50, 0x44, 0x46, 0x2d]);
  });

  step('sends text', async () => {
    const r = await w.sdk.messages.sendText({ phoneNumberId: phone, to, body: 'Hello from an SDK', previewUrl: false });
    const req = await sent_as_meta_answers(r, 'text');
    assert.equal(req.text.body, 'Hello from an SDK');
    assert.equal(req.messaging_product, 'whatsapp');
  });

  step('sends image', async () => {
    const r = await w.sdk.messages.sendImage({ phoneNumberId: phone, to, image: { id: w.media.image, caption: 'The photo' } });
    const req = await sent_as_meta_answers(r, 'image');
    assert.deepEqual(req.image, { id: w.media.image, caption: 'The photo' });
  });

  step('sends audio', async () => {
    const r = await w.sdk.messages.sendAudio({ phoneNumberId: phone, to, audio: { id: w.media.audio } });
    assert.equal((await sent_as_meta_answers(r, 'audio')).audio.id, w.media.audio);
  });

  step('sends video', async () => {
    const r = await w.sdk.messages.sendVideo({ phoneNumberId: phone, to, video: { id: w.media.video, caption: 'Clip' } });
    assert.deepEqual((await sent_as_meta_answers(r, 'video')).video, { id: w.media.video, caption: 'Clip' });
  });

  step('sends document', async () => {
    const r = await w.sdk.messages.sendDocument({
      phoneNumberId: phone, to, document: { id: w.media.document, filename: 'invoice.pdf', caption: 'Your invoice' },
    });
    assert.deepEqual((await sent_as_meta_answers(r, 'document')).document,
      { id: w.media.document, filename: 'invoice.pdf', caption: 'Your invoice' });
  });

  step('sends sticker', async () => {
    const r = await w.sdk.messages.sendSticker({ phoneNumberId: phone, to, sticker: { id: w.media.sticker } });
    assert.equal((await sent_as_meta_answers(r, 'sticker')).sticker.id, w.media.sticker);
  });

  step('sends location', async () => {
    const location = { latitude: 52.520008, longitude: 13.404954, name: 'The shop', address: 'Alexanderplatz 1, Berlin' };
    const r = await w.sdk.messages.sendLocation({ phoneNumberId: phone, to, location });
    assert.deepEqual((await sent_as_meta_answers(r, 'location')).location, location);
  });

  step('sends contacts', async () => {
    const r = await w.sdk.messages.sendContacts({
      phoneNumberId: phone, to,
      contacts: [{ name: { formattedName: 'Ada Shop', firstName: 'Ada' }, phones: [{ phone: '+4930123456', type: 'WORK' }] }],
    });
    const req = await sent_as_meta_answers(r, 'contacts');
    assert.equal(req.contacts[0].name.formatted_name, 'Ada Shop');
    assert.equal(req.contacts[0].phones[0].phone, '+4930123456');
  });

  step('sends interactive buttons', async () => {
    const r = await w.sdk.messages.sendInteractiveButtons({
      phoneNumberId: phone, to, bodyText: 'Ship it today?', footerText: 'SDK shop',
      buttons: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }],
    });
    const req = await sent_as_meta_answers(r, 'interactive');
    assert.equal(req.interactive.type, 'button');
    assert.deepEqual(req.interactive.action.buttons.map((b) => b.reply.id), ['yes', 'no']);
  });

  step('sends interactive list', async () => {
    const r = await w.sdk.messages.sendInteractiveList({
      phoneNumberId: phone, to, bodyText: 'Pick a delivery slot', buttonText: 'Slots',
      sections: [{ title: 'Tomorrow', rows: [{ id: 'am', title: 'Morning' }, { id: 'pm', title: 'Afternoon', description: '2 to 6' }] }],
    });
    const req = await sent_as_meta_answers(r, 'interactive');
    assert.equal(req.interactive.type, 'list');
    assert.equal(req.interactive.action.button, 'Slots');
    assert.deepEqual(req.interactive.action.sections[0].rows.map((x) => x.id), ['am', 'pm']);
  });

  step('sends reaction', async () => {
    const r = await w.sdk.messages.sendReaction({ phoneNumberId: phone, to, reaction: { messageId: w.inbound_wamid, emoji: '👍' } });
    assert.deepEqual((await sent_as_meta_answers(r, 'reaction')).reaction, { message_id: w.inbound_wamid, emoji: '👍' });
  });

  step('the SDK lists the templates (Enfinito\'s copy, in Meta\'s shape)', async () => {
    const list = await w.sdk.templates.list({ businessAccountId: waba, limit: 100 });
    const names = list.data.map((t) => t.name);
    assert.ok(names.includes('hello_world') && names.includes('appointment_reminder'), names.join(', '));
    const reminder = list.data.find((t) => t.name === 'appointment_reminder');
    assert.equal(reminder.status, 'APPROVED');
    assert.equal(reminder.language, 'en_US');
    assert.match(reminder.id, /^[0-9]+$/);
    assert.ok(reminder.components.some((c) => c.type === 'BODY'));
    const approved = await w.sdk.templates.list({ businessAccountId: waba, name: 'hello_world' });
    assert.deepEqual(approved.data.map((t) => t.name), ['hello_world']);
  });

  step('template (one Meta approved)', async () => {
    const template = {
      name: 'appointment_reminder', language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pat' }, { type: 'text', text: 'Monday' }] }],
    };
    const r = await w.sdk.messages.sendTemplate({ phoneNumberId: phone, to, template });
    const req = await sent_as_meta_answers(r, 'template');
    assert.equal(req.template.name, 'appointment_reminder');
    assert.deepEqual(req.template.components[0].parameters.map((p) => p.text), ['Pat', 'Monday']);
  });

  step('Meta\'s errors reach the SDK as its GraphApiError, with Meta\'s code', async () => {
    const before = (await w.meta.admin('GET', `messages?phone_number_id=${phone}`)).messages.length;
    // A parameter short for the template: Enfinito refuses it before Meta, with Meta's 132000.
    const short = { name: 'appointment_reminder', language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pat' }] }] };
    const e = await w.sdk.messages.sendTemplate({ phoneNumberId: phone, to, template: short }).then(() => null, (x) => x);
    assert.ok(e instanceof GraphApiError, `a GraphApiError: ${e}`);
    assert.equal(e.code, 132000);
    assert.equal(e.httpStatus, 400);
    // Another number than the key's: Meta's "does not exist" (100, subcode 33).
    const u = await w.sdk.messages.sendText({ phoneNumberId: '999999999999', to, body: 'x' }).then(() => null, (x) => x);
    assert.ok(u instanceof GraphApiError, `a GraphApiError: ${u}`);
    assert.equal(u.code, 100);
    assert.equal(u.errorSubcode, 33);
    assert.equal((await w.meta.admin('GET', `messages?phone_number_id=${phone}`)).messages.length, before, 'nothing reached Meta');
  });

  step('the SDK creates a template; once Meta approves it, the SDK sends it', async () => {
    const created = await w.sdk.templates.create({
      businessAccountId: waba, name: 'sdk_order_ready', language: 'en_US', category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}} is ready for pick-up.', example: { body_text: [['#42']] } }],
    });
    assert.match(created.id ?? '', /^[0-9]+$/, JSON.stringify(created));
    assert.equal(created.category, 'UTILITY');
    assert.equal(created.status, 'PENDING');
    // Meta has it as asked (the SDK snake-cases only keys; the text stays as written).
    const at_meta = await w.sdk.templates.list({ businessAccountId: waba, name: 'sdk_order_ready' });
    assert.equal(at_meta.data.length, 1);
    assert.equal(at_meta.data[0].id, created.id);
    assert.equal(at_meta.data[0].components[0].text, 'Order {{1}} is ready for pick-up.');
    // A pending template is refused before Meta with Meta's 132001.
    const send = () => w.sdk.messages.sendTemplate({
      phoneNumberId: phone, to,
      template: { name: 'sdk_order_ready', language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: '#42' }] }] },
    });
    const pending = await send().then(() => null, (x) => x);
    assert.equal(pending?.code, 132001, `refused while pending: ${pending}`);
    // Meta approves it: its status webhook reaches Enfinito's copy, which the SDK then reads.
    await w.meta.admin('POST', 'templates', { waba_id: waba, name: 'sdk_order_ready', language: 'en_US', status: 'APPROVED' });
    await wait_for('the copy to follow the status webhook', async () => {
      const l = await w.sdk.templates.list({ businessAccountId: waba, name: 'sdk_order_ready' });
      return l.data[0]?.status === 'APPROVED';
    }, 10000, 100);
    const req = await sent_as_meta_answers(await send(), 'template');
    assert.equal(req.template.name, 'sdk_order_ready');
  });

  step('every message type reached Meta exactly once', async () => {
    const log = (await w.meta.admin('GET', `messages?phone_number_id=${phone}`)).messages;
    const types = log.map((m) => m.type).sort();
    assert.deepEqual(types, ['audio', 'contacts', 'document', 'image', 'interactive', 'interactive', 'location',
      'reaction', 'sticker', 'template', 'template', 'text', 'video']);
    assert.ok(log.every((m) => m.outcome === 'accepted'), JSON.stringify(log.filter((m) => m.outcome !== 'accepted')));
  });
});
