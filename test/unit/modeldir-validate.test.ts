/** Model directory loading, manifest validation, hashing and path containment. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashModelDir, inspectModelDir, loadModelDir, ModelManifestError, resolveModelPath, validateManifest } from '../../lib/models/model-dir.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/tiny-decoder', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sonde-modeldir-'));
const good = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'sonde.json'), 'utf8'));

function copyModel(name: string, edit?: (m: Record<string, unknown>) => void): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(FIXTURE).filter((f) => fs.statSync(path.join(FIXTURE, f)).isFile())) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  if (edit) {
    const m = structuredClone(good);
    edit(m);
    fs.writeFileSync(path.join(dir, 'sonde.json'), JSON.stringify(m));
  }
  return dir;
}

describe('model directory', () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('loads the tiny decoder and hashes model.onnx like sha256sum', async () => {
    const info = await inspectModelDir(FIXTURE);
    assert.equal(info.manifest.kind, 'decoder');
    assert.equal(info.manifest.layers.length, 3);
    const expected = createHash('sha256').update(fs.readFileSync(path.join(FIXTURE, 'model.onnx'))).digest('hex');
    assert.equal(info.sha256, expected);
    assert.equal(info.bytes, fs.statSync(path.join(FIXTURE, 'model.onnx')).size);
  });

  it('includes external data in the hash', async () => {
    const dir = copyModel('ext');
    const before = (await hashModelDir(dir, good)).sha256;
    fs.writeFileSync(path.join(dir, 'model.onnx.data'), 'weights');
    const withData = await hashModelDir(dir, good);
    assert.notEqual(withData.sha256, before);
    fs.writeFileSync(path.join(dir, 'model.onnx.data'), 'weightz');
    fs.utimesSync(path.join(dir, 'model.onnx.data'), new Date(), new Date(Date.now() + 5000));
    assert.notEqual((await hashModelDir(dir, good)).sha256, withData.sha256);
  });

  const bad: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['format', (m) => { m.format = 'x'; }, /format must be "sonde-model\/1"/],
    ['kind', (m) => { m.kind = 'seq2seq'; }, /kind must be/],
    ['layers', (m) => { m.layers = []; }, /layers must be a non-empty array/],
    ['duplicate layer', (m) => { m.layers[1].index = 0; }, /index 0 appears twice/],
    ['pooling', (m) => { m.default_pooling = 'max'; }, /default_pooling/],
    ['escape', (m) => { m.tokenizer.files = ['../../etc/passwd']; }, /inside the model directory/],
    ['missing file', (m) => { m.tokenizer.files = ['vocab.txt']; }, /names vocab.txt, which is missing/],
    ['inputs', (m) => { m.inputs = { style: 'dense' }; }, /input_ids/],
  ];
  for (const [name, edit, re] of bad) {
    it(`rejects a bad manifest (${name}) with one clear line`, async () => {
      const dir = copyModel(`bad-${name.replace(/\s/g, '-')}`, edit);
      await assert.rejects(loadModelDir(dir), (e: Error) => e instanceof ModelManifestError && re.test(e.message) && !e.message.includes('\n'));
    });
  }

  it('rejects a directory without sonde.json and non-JSON manifests', async () => {
    fs.mkdirSync(path.join(tmp, 'empty'));
    await assert.rejects(loadModelDir(path.join(tmp, 'empty')), /no sonde.json/);
    assert.throws(() => validateManifest([]), /must be a JSON object/);
  });

  it('keeps model paths inside the model root', async () => {
    const root = path.join(tmp, 'root');
    fs.mkdirSync(root);
    const inside = copyModel('root/m1');
    assert.equal(await resolveModelPath(root, 'm1'), fs.realpathSync(inside));
    assert.equal((await loadModelDir('m1', { root })).dir, fs.realpathSync(inside));
    await assert.rejects(resolveModelPath(root, '../ext'), /must not contain/);
    await assert.rejects(resolveModelPath(root, path.join(tmp, 'ext')), /outside the model root/);
    fs.symlinkSync(path.join(tmp, 'ext'), path.join(root, 'link'));
    await assert.rejects(resolveModelPath(root, 'link'), /outside the model root/);
    // A weight file symlinked out of the root is refused too.
    const m2 = copyModel('root/m2');
    fs.rmSync(path.join(m2, 'tokenizer.json'));
    fs.symlinkSync(path.join(FIXTURE, 'tokenizer.json'), path.join(m2, 'tokenizer.json'));
    await assert.rejects(loadModelDir('m2', { root }), /outside the model root/);
    await assert.rejects(resolveModelPath(root, 'nope'), /does not exist/);
  });
});
