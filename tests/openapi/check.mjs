// The OpenAPI checks as a library (validate.mjs runs them; self_test.mjs proves they fail):
// - checkDocument: every operation states who may call it (`security`, its own or the
//   document's) and every response with content has a non-empty schema;
// - checkRecords: each response the integration suite recorded (tests/support/response_log)
//   is matched to its documented operation, and its status, content type and body are checked
//   against the document (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses); then every documented
//   operation must have answered at least once with success (2xx/3xx), unless exempted.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// Where schema $refs to #/components/schemas/X point once rewritten for ajv.
const COMPONENTS_ID = 'https://enfinito.invalid/openapi/components';

export function operations(doc) {
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const segments = path.split('/');
      const pattern = segments
        .map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        op: item[method],
        regex: new RegExp(`^${pattern}$`),
        literals: segments.filter((s) => !s.startsWith('{')).length,
      });
    }
  }
  return ops;
}

// An OpenAPI-level $ref (#/components/responses/X) resolved against the document.
function deref(doc, obj) {
  let seen = 0;
  while (obj && obj.$ref && seen++ < 10) {
    const parts = obj.$ref.replace(/^#\//, '').split('/');
    obj = parts.reduce((o, p) => (o ? o[p.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
  }
  return obj;
}

function isEmptySchema(s) {
  return !s || (typeof s === 'object' && Object.keys(s).filter((k) => k !== 'description').length === 0);
}

export function checkDocument(doc) {
  const problems = [];
  const globalSecurity = Array.isArray(doc.security);
  if (!doc.components?.securitySchemes || Object.keys(doc.components.securitySchemes).length === 0)
    problems.push('components.securitySchemes is missing');
  for (const { key, op } of operations(doc)) {
    if (!Array.isArray(op.security) && !globalSecurity)
      problems.push(`${key}: no security (say [] for a public operation)`);
    for (const [status, raw] of Object.entries(op.responses ?? {})) {
      const res = deref(doc, raw);
      if (!res) {
        problems.push(`${key} ${status}: unresolvable $ref ${raw.$ref}`);
        continue;
      }
      for (const [type, media] of Object.entries(res.content ?? {}))
        if (isEmptySchema(media.schema)) problems.push(`${key} ${status} ${type}: empty or missing schema`);
    }
    if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${key}: no responses`);
  }
  // Every response schema must compile (strict: a misspelt keyword is an error, not ignored).
  let compile;
  try {
    compile = makeValidator(doc);
  } catch (e) {
    problems.push(`components.schemas do not compile: ${e.message}`);
    return problems;
  }
  for (const { key, op } of operations(doc))
    for (const [status, raw] of Object.entries(op.responses ?? {}))
      for (const [type, media] of Object.entries(deref(doc, raw)?.content ?? {})) {
        if (isEmptySchema(media.schema)) continue;
        try {
          compile(`${key} ${status} ${type}`, media.schema);
        } catch (e) {
          problems.push(`${key} ${status} ${type}: schema does not compile: ${e.message}`);
        }
      }
  return problems;
}

function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/'))
      out[k] = `${COMPONENTS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`;
    else out[k] = rewriteRefs(v);
  }
  return out;
}

export function makeValidator(doc) {
  // strict: unknown keywords are errors, except the annotations OpenAPI 3.1 adds to JSON Schema.
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
  addFormats(ajv);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) });
  const cache = new Map();
  return (cacheKey, schema) => {
    if (!cache.has(cacheKey)) cache.set(cacheKey, ajv.compile(rewriteRefs(schema)));
    return cache.get(cacheKey);
  };
}

// The most specific documented operation for METHOD and path: most literal segments first.
export function matchOperation(ops, method, path) {
  let best = null;
  let pathKnown = false;
  for (const o of ops) {
    if (!o.regex.test(path)) continue;
    pathKnown = true;
    if (o.method !== method) continue;
    if (!best || o.literals > best.literals) best = o;
  }
  return { op: best, pathKnown };
}

function mediaType(contentType) {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function pickContent(content, type) {
  if (content[type]) return [type, content[type]];
  const wild = `${type.split('/')[0]}/*`;
  if (content[wild]) return [wild, content[wild]];
  if (content['*/*']) return ['*/*', content['*/*']];
  return [null, null];
}

const isJson = (type) => type === 'application/json' || type.endsWith('+json');

// inScope: which recorded paths the document must describe. The daemon also serves the web
// app's static files, which are not part of the API.
export function checkRecords(doc, records, { exemptions = {}, inScope = () => true } = {}) {
  const ops = operations(doc);
  const compile = makeValidator(doc);
  const failures = new Map(); // group -> {count, examples[]}
  const fail = (group, example) => {
    const f = failures.get(group) ?? { count: 0, examples: [] };
    f.count++;
    if (f.examples.length < 3) f.examples.push(example);
    failures.set(group, f);
  };
  const success = new Map(); // op key -> set of statuses
  const answered = new Map();
  let validated = 0;
  let outOfScope = 0;
  let notRoutes = 0;
  for (const r of records) {
    const path = r.target.split('?')[0];
    if (!inScope(path)) {
      outOfScope++;
      continue;
    }
    const { op, pathKnown } = matchOperation(ops, r.method, path);
    if (!op) {
      // The router's own answers to a path or method it does not serve are problems too.
      if (r.status === 404 || r.status === 405) {
        notRoutes++;
        if (mediaType(r.content_type) !== 'application/problem+json')
          fail(`${r.status} for an unknown ${pathKnown ? 'method' : 'path'}: not problem+json`, `${r.method} ${r.target}`);
        continue;
      }
      fail(`undocumented route: ${r.method} ${path}`, `status ${r.status}`);
      continue;
    }
    if (!answered.has(op.key)) answered.set(op.key, new Set());
    answered.get(op.key).add(r.status);
    const responses = op.op.responses ?? {};
    const raw = responses[String(r.status)] ?? responses[`${String(r.status)[0]}XX`] ?? responses.default;
    if (!raw) {
      fail(`${op.key}: status ${r.status} not documented`, r.target);
      continue;
    }
    if (r.status < 400) {
      if (!success.has(op.key)) success.set(op.key, new Set());
      success.get(op.key).add(r.status);
    }
    const res = deref(doc, raw);
    const type = mediaType(r.content_type);
    const content = res.content ?? {};
    if (Object.keys(content).length === 0) {
      if (r.body_bytes > 0 && r.method !== 'HEAD')
        fail(`${op.key} ${r.status}: a body (${type || 'no content type'}) where the document has none`, r.target);
      continue;
    }
    if (r.body_bytes === 0 && r.status === 304) continue;
    const [docType, media] = pickContent(content, type);
    if (!media) {
      fail(`${op.key} ${r.status}: content type ${type || '(none)'} not documented (${Object.keys(content).join(', ')})`, r.target);
      continue;
    }
    if (r.body === undefined || !media.schema) continue; // binary or too large: recorded by size only
    let instance = r.body;
    if (isJson(type)) {
      try {
        instance = JSON.parse(r.body);
      } catch {
        fail(`${op.key} ${r.status} ${type}: body is not JSON`, r.target);
        continue;
      }
    } else if (media.schema.format === 'binary') {
      continue;
    }
    const validate = compile(`${op.key} ${r.status} ${docType}`, media.schema);
    validated++;
    if (!validate(instance)) {
      // Where and what, never the body's values (they may hold test secrets).
      const why = validate.errors.slice(0, 4).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      fail(`${op.key} ${r.status} ${docType}: body does not match the schema`, `${r.target}: ${why}`);
    }
  }
  const notExercised = [];
  const onlyErrors = [];
  for (const { key } of ops) {
    if (exemptions[key]) continue;
    if (!answered.has(key)) notExercised.push(key);
    else if (!success.has(key)) onlyErrors.push(`${key} (answered only ${[...answered.get(key)].sort().join(', ')})`);
  }
  return { failures, notExercised, onlyErrors, validated, outOfScope, notRoutes, total: records.length };
}

export function report(result) {
  const lines = [];
  for (const [group, f] of [...result.failures.entries()].sort()) {
    lines.push(`MISMATCH ${group} (${f.count}x)`);
    for (const e of f.examples) lines.push(`    e.g. ${e}`);
  }
  if (result.notExercised.length) {
    lines.push(`NOT EXERCISED: ${result.notExercised.length} documented operation(s) no recorded response reached:`);
    for (const k of result.notExercised) lines.push(`    ${k}`);
  }
  if (result.onlyErrors.length) {
    lines.push(`NO SUCCESS: ${result.onlyErrors.length} operation(s) answered only with errors:`);
    for (const k of result.onlyErrors) lines.push(`    ${k}`);
  }
  return lines;
}

export function failed(result) {
  return result.failures.size > 0 || result.notExercised.length > 0 || result.onlyErrors.length > 0;
}
