/** Configuration, job-spec defaults and the compose file's promises. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import YAML from 'yaml';
import { loadConfig } from '../../infra/config.ts';
import { normalizeJobRequest, JobSpecError } from '../../lib/job-spec.ts';

const METHODS = ['ccs', 'crc', 'pca', 'kmeans', 'nmf', 'random', 'vinc', 'lr', 'mass-mean'];

test('config has the documented defaults and rejects bad values', () => {
  const c = loadConfig({});
  assert.equal(c.databaseUrl, 'postgres://postgres@127.0.0.1:5432/sonde');
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(c.port, 8080);
  assert.equal(c.role, 'all');
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT must be a non-negative integer/);
  assert.throws(() => loadConfig({ SONDE_ROLE: 'boss' }), /SONDE_ROLE/);
  assert.throws(() => loadConfig({ SONDE_EXECUTION_PROVIDER: 'tpu' }), /SONDE_EXECUTION_PROVIDER/);
});

test('job requests get the documented defaults', () => {
  const spec = normalizeJobRequest({}, { methods: METHODS, defaultDataset: 'sentiment' });
  assert.equal(spec.model, 'use-lite');
  assert.equal(spec.dataset, 'sentiment');
  assert.deepEqual(spec.methods, ['ccs', 'pca', 'nmf', 'kmeans', 'random', 'lr']);
  assert.equal(spec.seeds, 5);
  assert.equal(spec.layers, 'all');
  assert.deepEqual(spec.split, { train: 0.6, test: 0.4, seed: 0, train_where: null, test_where: null, stratify: false });
});

test('job requests with contradictions are refused with a reason', () => {
  const k = { methods: METHODS, defaultDataset: 'd' };
  assert.throws(() => normalizeJobRequest({ methods: ['ccs', 'oracle'] }, k), (e: Error) => e instanceof JobSpecError && /oracle/.test(e.message));
  assert.throws(() => normalizeJobRequest({ split: { train: 0.7, test: 0.7 } }, k), /sum to at most 1/);
  // With item filters each fraction is of its own pool: 0.8 of Alice's items and 0.8 of Bob's is a valid context shift.
  const shifted = normalizeJobRequest({ split: { train: 0.8, test: 0.8, train_where: { character: 'Alice' }, test_where: { character: 'Bob' } } }, k);
  assert.deepEqual([shifted.split.train, shifted.split.test], [0.8, 0.8]);
  assert.throws(() => normalizeJobRequest({ split: { train: 1.2, test: 0.5, train_where: { character: 'Alice' } } }, k), /own pool/);
  assert.throws(() => normalizeJobRequest({ layers: [1, 1] }, k), /repeat/);
  assert.throws(() => normalizeJobRequest({ methods: ['pca'], method_options: { ccs: {} } }, k), /method_options/);
});

test('docker-compose.yml has the services, Redis durability and the GPU worker profile', () => {
  const compose = YAML.parse(fs.readFileSync('docker-compose.yml', 'utf8'));
  for (const s of ['postgres', 'redis', 'api', 'worker', 'worker-gpu', 'grafana']) assert.ok(compose.services[s], s);
  const redisCmd = compose.services.redis.command.join(' ');
  assert.match(redisCmd, /--appendonly yes/);
  assert.match(redisCmd, /--maxmemory-policy noeviction/);
  assert.deepEqual(compose.services['worker-gpu'].profiles, ['gpu']);
  assert.equal(compose.services['worker-gpu'].deploy.resources.reservations.devices[0].driver, 'nvidia');
  assert.deepEqual(compose.services.grafana.profiles, ['dashboards']);
  for (const s of ['api', 'worker', 'worker-gpu']) assert.ok(compose.services[s].volumes.some((v: string) => v.endsWith(':/data')));
});
