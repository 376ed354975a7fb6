/**
 * docker-compose.yml is valid with every profile (scripts/check-compose.sh, which CI runs
 * too, installing Debian's docker-compose where no Compose is present), and the check
 * fails on a broken copy. Skips, saying why, without a Compose binary. No Docker engine is
 * involved: `config` only parses and validates; images are not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const SKIP = has('docker', ['compose', 'version']) || has('docker-compose', ['version']) ? false : 'no `docker compose` or `docker-compose` (apt-get install docker-compose)';

const check = (env: Record<string, string> = {}) => spawnSync('bash', ['scripts/check-compose.sh'], { encoding: 'utf8', env: { ...process.env, ...env } });

test('the compose file is valid without profiles and with every profile', { skip: SKIP }, () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /valid without profiles and with dashboards, gpu/);
});

test('a broken compose file fails the check', { skip: SKIP }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-compose-'));
  const good = fs.readFileSync('docker-compose.yml', 'utf8');
  // A typo in a service behind a profile, and a wrong healthcheck condition.
  for (const [from, to] of [['    profiles: [gpu]\n', '    profiles: [gpu]\n    restrt: always\n'], ['condition: service_healthy', 'condition: service_heathy']]) {
    assert.ok(good.includes(from));
    const file = path.join(dir, 'docker-compose.yml');
    fs.writeFileSync(file, good.replace(from, to));
    const r = check({ COMPOSE_FILE: file });
    assert.notEqual(r.status, 0, `${to.trim()} should fail`);
    assert.match(r.stderr + r.stdout, /restrt|service_heathy/);
  }
});
