// Checks docs/openapi.json (see check.mjs for what) and prints every mismatch, grouped.
//   node validate.mjs --document-only           the document's own checks
//   node validate.mjs --records FILE            also the integration suite's recorded responses
// CTest runs both (tests/CMakeLists.txt); docs/testing.md ("The OpenAPI document against real answers") says how to read a failure.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { checkDocument, checkRecords, report, failed } from './check.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const docPath = opt('--doc') ?? resolve(here, '../../docs/openapi.json');
const doc = JSON.parse(readFileSync(docPath, 'utf8'));

// Operations no test of the integration suite can reach with a success, each with its reason.
// Keep this short: a route missing here is a test to write, not an exemption to add.
export const EXEMPTIONS = {
  // A WebSocket upgrade: the suite's HTTP client reads one response and cannot take a 101
  // (feed_test drives it through its own WebSocket client, which is not recorded).
  'GET /v1/stream': 'websocket upgrade',
};

// The daemon also serves the web app's files (/, /app.js, …): not the API, not documented here.
const inScope = (path) =>
  /^\/(v1|graph|webhooks)\//.test(path) || ['/healthz', '/readyz', '/metrics'].includes(path);

let bad = false;
const docProblems = checkDocument(doc);
for (const p of docProblems) console.log(`DOCUMENT ${p}`);
bad ||= docProblems.length > 0;

if (!args.includes('--document-only')) {
  const file = opt('--records');
  if (!file || !existsSync(file)) {
    console.log(`no records at ${file}: run the integration suite with ENFTEST_OPENAPI_RECORD=${file ?? 'FILE'}`);
    process.exit(1);
  }
  const records = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  const result = checkRecords(doc, records, { exemptions: EXEMPTIONS, inScope });
  for (const l of report(result)) console.log(l);
  console.log(
    `${result.total} distinct responses recorded: ${result.validated} bodies validated, ` +
      `${result.notRoutes} answers to unknown routes, ${result.outOfScope} web-app files skipped; ` +
      `exempt: ${Object.keys(EXEMPTIONS).join(', ')}`,
  );
  bad ||= failed(result);
}
console.log(bad ? 'FAIL' : 'OK');
process.exit(bad ? 1 : 0);
