/** `sonde extract` and `sonde models add|list` in-process on the tiny decoder. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as extractMain, readTexts } from '../../cli/commands/extract.ts';
import { main as modelsMain } from '../../cli/commands/models.ts';
import { BUILTIN_MODELS } from '../../lib/models/builtin.ts';
import { npyToMat, parseNpy } from '../../lib/npy.ts';
import { UsageError } from '../../cli/args.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/tiny-decoder', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-extract-cli-'));
const prevDataDir = process.env.SONDE_DATA_DIR;
process.env.SONDE_DATA_DIR = path.join(tmp, 'data');

after(() => {
  if (prevDataDir === undefined) delete process.env.SONDE_DATA_DIR;
  else process.env.SONDE_DATA_DIR = prevDataDir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('sonde extract', () => {

  it('reads .txt and .jsonl inputs', async () => {
    fs.writeFileSync(path.join(tmp, 'a.txt'), 'one\n\ntwo\r\n');
    fs.writeFileSync(path.join(tmp, 'a.jsonl'), '"one"\n{"text": "two", "label": 1}\n\n');
    assert.deepEqual(await readTexts(path.join(tmp, 'a.txt')), ['one', 'two']);
    assert.deepEqual(await readTexts(path.join(tmp, 'a.jsonl')), ['one', 'two']);
    fs.writeFileSync(path.join(tmp, 'b.jsonl'), '{"txt": 1}\n');
    await assert.rejects(readTexts(path.join(tmp, 'b.jsonl')), (e: Error) => e instanceof UsageError && /b.jsonl:1/.test(e.message));
  });

  it('writes layer_<k>.npy and a manifest, and a second run is a cache hit', async () => {
    const input = path.join(tmp, 'in.jsonl');
    fs.writeFileSync(input, ['the movie was great', 'terrible film', 'it is ok'].map((t) => JSON.stringify({ text: t })).join('\n'));
    const out = path.join(tmp, 'out');
    const args = ['--model', FIXTURE, '--input', input, '--layers', '1,2', '--pooling', 'mean', '--out', out, '--provider', 'cpu', '--threads', '1'];
    assert.equal(await extractMain(args), 0);
    const first = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(first.cache, 'miss');
    assert.deepEqual(first.layers, [1, 2]);
    const m = npyToMat(parseNpy(fs.readFileSync(path.join(out, 'layer_2.npy'))));
    assert.deepEqual([m.rows, m.cols], [3, 32]);
    assert.equal(await extractMain(args), 0);
    const second = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(second.cache, 'hit');
    assert.deepEqual(npyToMat(parseNpy(fs.readFileSync(path.join(out, 'layer_2.npy')))), m);
  });

  it('rejects bad flags with UsageError', async () => {
    await assert.rejects(extractMain(['--model', FIXTURE, '--input', 'x.txt', '--out', tmp, '--layers', 'one']), UsageError);
    await assert.rejects(extractMain(['--model', FIXTURE, '--input', 'x.txt', '--out', tmp, '--dtype', 'int8']), UsageError);
  });
});

describe('sonde models', () => {
  it('add validates and hashes; list shows built-ins and local models', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      assert.equal(await modelsMain(['add', FIXTURE, '--json']), 0);
      const info = JSON.parse(lines.join('\n'));
      assert.match(info.sha256, /^[0-9a-f]{64}$/);
      assert.equal(info.manifest.name, 'tiny-decoder');
      lines.length = 0;
      const models = path.join(process.env.SONDE_DATA_DIR!, 'models', 'tiny');
      fs.mkdirSync(models, { recursive: true });
      fs.copyFileSync(path.join(FIXTURE, 'sonde.json'), path.join(models, 'sonde.json'));
      assert.equal(await modelsMain(['list', '--json']), 0);
      const names = JSON.parse(lines.join('\n')).map((r: { name: string }) => r.name);
      // The built-ins (use-lite and every committed laboratory model under models/), then the local ones.
      assert.deepEqual(names, [...BUILTIN_MODELS.map((m) => m.name), 'tiny']);
      assert.ok(names.includes('quirky-facts'), 'the committed lab model is listed');
    } finally {
      console.log = log;
    }
  });
});
