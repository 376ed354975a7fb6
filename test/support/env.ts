/**
 * Shared test set-up: a config pointing at the test database and a test queue prefix,
 * a migrated schema, fresh tenants per test (isolation without truncation), and a
 * validator that checks real responses against openapi.yaml.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { loadConfig, type Config } from '../../infra/config.ts';
import { migrate } from '../../infra/db/migrate.ts';
import { createPool, type Db } from '../../infra/db/pool.ts';
import { createApiKey, createTenant } from '../../infra/db/tenants.ts';
import { responseSchema } from '../../http/spec.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL?.endsWith('_test') ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/sonde_test',
    SONDE_QUEUE_PREFIX: process.env.SONDE_QUEUE_PREFIX ?? 'sonde-test',
    SONDE_DATA_DIR: process.env.SONDE_DATA_DIR ?? path.resolve('.sonde/test-data'),
  });
  return { ...base, ...overrides };
}

let migrated: Promise<unknown> | null = null;
export async function testDb(config = testConfig()): Promise<Db> {
  migrated ??= migrate(config.databaseUrl);
  await migrated;
  return createPool(config.databaseUrl, 5);
}

export async function newTenant(db: Db, role: 'user' | 'admin' = 'user'): Promise<{ tenantId: string; name: string; key: string }> {
  const name = `t-${crypto.randomBytes(6).toString('hex')}`;
  const t = await createTenant(db, name);
  const { key } = await createApiKey(db, t.id, role);
  return { tenantId: t.id, name, key };
}

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);

/** Throws with the schema errors when `body` does not match the spec's response schema. */
export function assertMatchesSpec(operationId: string, status: number, body: unknown, mediaType?: string): void {
  const schema = responseSchema(operationId, status, mediaType ?? (status >= 400 ? 'application/problem+json' : 'application/json'));
  if (!schema) throw new Error(`openapi.yaml declares no ${status} response for ${operationId}`);
  const validate = ajv.compile(schema);
  if (!validate(body)) {
    throw new Error(`${operationId} ${status} response does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}
