// The checker's own test (CTest openapi_self_test): each kind of mismatch must fail, on a small
// document and on the real docs/openapi.json with a deliberately wrong schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { checkDocument, checkRecords, failed, matchOperation, operations } from './check.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const realDoc = () => JSON.parse(readFileSync(resolve(here, '../../docs/openapi.json'), 'utf8'));

const small = () => ({
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  security: [{ key: [] }],
  components: {
    securitySchemes: { key: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Thing: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' } } },
      Problem: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } },
    },
    responses: { Problem: { description: 'e', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } },
  },
  paths: {
    '/v1/things/{id}': {
      get: {
        responses: {
          200: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          404: { $ref: '#/components/responses/Problem' },
        },
      },
      delete: { responses: { 204: { description: 'gone' } } },
    },
    '/v1/things/special': { get: { security: [], responses: { 200: { description: 'ok', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  },
});

const rec = (method, target, status, body, type = 'application/json') => ({
  method, target, status, content_type: type, body_bytes: body === undefined ? 0 : body.length, body,
});

const good = () => [
  rec('GET', '/v1/things/abc?x=1', 200, '{"id":"abc","at":"2026-12-07T10:00:00Z"}'),
  rec('GET', '/v1/things/nope', 404, '{"code":"not_found"}', 'application/problem+json'),
  rec('DELETE', '/v1/things/abc', 204, undefined, ''),
  rec('GET', '/v1/things/special', 200, 'hi', 'text/plain; charset=utf-8'),
];

test('matching responses pass', () => {
  const r = checkRecords(small(), good());
  assert.equal(failed(r), false, JSON.stringify([...r.failures.keys()]));
  assert.equal(r.validated, 3);
});

test('a literal path wins over a template', () => {
  const { op } = matchOperation(operations(small()), 'GET', '/v1/things/special');
  assert.equal(op.key, 'GET /v1/things/special');
});

test('a body that breaks the schema fails, naming the operation', () => {
  const records = [...good(), rec('GET', '/v1/things/x', 200, '{"id":7}')];
  const r = checkRecords(small(), records);
  assert.ok(failed(r));
  assert.ok([...r.failures.keys()].some((k) => k.startsWith('GET /v1/things/{id} 200 application/json: body does not match')));
});

test('a format is checked (date-time)', () => {
  const r = checkRecords(small(), [...good(), rec('GET', '/v1/things/x', 200, '{"id":"x","at":"yesterday"}')]);
  assert.ok(failed(r));
});

test('an undocumented status, content type, body or route fails', () => {
  for (const bad of [
    rec('GET', '/v1/things/x', 500, '{"code":"x"}', 'application/problem+json'),
    rec('GET', '/v1/things/x', 200, '<html>', 'text/html'),
    rec('DELETE', '/v1/things/x', 204, '{}'),
    rec('POST', '/v1/other', 201, '{}'),
    rec('GET', '/v1/things/x', 200, 'not json'),
  ]) {
    const r = checkRecords(small(), [...good(), bad]);
    assert.ok(failed(r), `${bad.method} ${bad.target} ${bad.status} should fail`);
  }
});

test('an unknown path answered 404 as a problem is fine; as HTML it fails', () => {
  assert.equal(failed(checkRecords(small(), [...good(), rec('GET', '/v1/zzz', 404, '{"code":"not_found"}', 'application/problem+json')])), false);
  assert.ok(failed(checkRecords(small(), [...good(), rec('GET', '/v1/zzz', 404, 'x', 'text/html')])));
});

test('an operation nothing exercised, or only with errors, fails unless exempted', () => {
  const noDelete = good().filter((r) => r.method !== 'DELETE');
  let r = checkRecords(small(), noDelete);
  assert.deepEqual(r.notExercised, ['DELETE /v1/things/{id}']);
  assert.ok(failed(r));
  r = checkRecords(small(), noDelete, { exemptions: { 'DELETE /v1/things/{id}': 'why' } });
  assert.equal(failed(r), false);
  r = checkRecords(small(), good().filter((x) => x.status !== 200 || x.target.includes('special')));
  assert.equal(r.onlyErrors.length, 1);
  assert.ok(failed(r));
});

test('the document checks: security and empty schemas', () => {
  assert.deepEqual(checkDocument(small()), []);
  const d = small();
  delete d.security;
  d.paths['/v1/things/{id}'].get.responses[200].content['application/json'] = {};
  const problems = checkDocument(d);
  assert.ok(problems.includes('GET /v1/things/{id}: no security (say [] for a public operation)'));
  assert.ok(problems.includes('GET /v1/things/{id} 200 application/json: empty or missing schema'));
  const typo = small();
  typo.paths['/v1/things/special'].get.responses[200].content['text/plain'].schema = { type: 'string', maxLenght: 3 };
  assert.ok(checkDocument(typo).some((p) => p.includes('schema does not compile')));
});

test('the real document: passes a true answer, fails a wrong schema', () => {
  const doc = realDoc();
  assert.deepEqual(checkDocument(doc), []);
  const health = rec('GET', '/healthz', 200, '{"status":"ok"}');
  const only = (d) => checkRecords(d, [health], { inScope: (p) => p === '/healthz' });
  assert.equal(only(doc).failures.size, 0);
  // Deliberately wrong: the document now demands a member the daemon does not send.
  const wrong = realDoc();
  wrong.paths['/healthz'].get.responses['200'].content['application/json'].schema.required.push('uptime');
  assert.ok([...only(wrong).failures.keys()].some((k) => k.includes('GET /healthz 200 application/json: body does not match')));
  // And a component schema: a User without its email fails.
  const user = '{"id":"usr_1","name":"A","role":"user","status":"active","created_at":"2026-12-01T09:30:00Z","has_password":true}';
  const me = checkRecords(doc, [rec('GET', '/v1/me', 200, user)], { inScope: (p) => p === '/v1/me' });
  assert.ok([...me.failures.keys()].some((k) => k.startsWith('GET /v1/me 200')));
});
