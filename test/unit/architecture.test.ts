/**
 * The layering of docs/architecture.md, checked on the source itself:
 *   - only infra/config.ts reads the environment (child processes get the resolved config);
 *   - lib/ is the pure core: it imports nothing from infra/, services/, http/, workers/, cli/;
 *   - the adapters (http/, workers/, cli/) reach Postgres and the queues only through
 *     services/ (type-only imports aside; workers bind to the queue names they consume);
 *   - no error is classified by matching its name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const PRODUCT = ['lib', 'infra', 'services', 'http', 'workers', 'cli', 'dashboard/src'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

const files = PRODUCT.flatMap(sources);
const read = (f: string) => fs.readFileSync(f, 'utf8');
/** Value imports (not `import type`) of each file, as written. */
const valueImports = (src: string) => [...src.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((m) => m[1]);

test('only infra/config.ts reads process.env', () => {
  const readers = files.filter((f) => /process\.env/.test(read(f)));
  assert.deepEqual(readers, ['infra/config.ts']);
});

test('lib/ is pure: no imports from infra, services, http, workers or cli', () => {
  const bad = files
    .filter((f) => f.startsWith('lib/'))
    .flatMap((f) => valueImports(read(f)).filter((i) => /(^|\/)(infra|services|http|workers|cli)\//.test(i)).map((i) => `${f} → ${i}`));
  assert.deepEqual(bad, []);
});

test('adapters reach Postgres and the queues only through services/', () => {
  const bad = files
    .filter((f) => /^(http|workers|cli)\//.test(f))
    .flatMap((f) => valueImports(read(f))
      .filter((i) => /infra\/db\//.test(i) || (/infra\/queue\.ts$/.test(i) && !f.startsWith('workers/index.ts')))
      .map((i) => `${f} → ${i}`));
  assert.deepEqual(bad, []);
});

test('errors are classified by kind, never by name', () => {
  const bad = files.filter((f) => /\.name\s*===\s*'\w*Error'|name\.endsWith\('\w*Error|Error\$\/\.test/.test(read(f)));
  assert.deepEqual(bad, []);
});
