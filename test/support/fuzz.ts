/**
 * Requests generated from openapi.yaml: for every operation, path and query parameters,
 * headers and bodies drawn from the operation's own schemas — valid shapes carrying
 * hostile values (NUL, lone surrogates, path traversal, SQL, boundary numbers and
 * lengths, ids that are almost UUIDs) and invalid shapes (wrong types, values out of
 * range, missing or unknown properties). Multipart activation uploads get .npy and
 * safetensors bodies whose headers lie. Deterministic for a seed.
 */
import { deref, loadSpec } from '../../http/spec.ts';
import { encodeNpy } from '../../lib/npy.ts';
import { encodeSafetensors } from '../../lib/safetensors.ts';

type Json = Record<string, any>;
export type Rng = () => number;

export interface Operation {
  id: string;
  method: string;
  path: string;
  params: Json[];
  body: Json | null;
  multipart: boolean;
  secured: boolean;
}

export interface FuzzRequest {
  op: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** 'valid': every value fits its schema (hostile as it may be); 'invalid': one does not. */
  shape: 'valid' | 'invalid';
}

/** Values the server knows, mixed into strings so valid requests reach past "does not exist". */
export interface Known {
  datasets: string[];
  activationSets: string[];
  jobs: string[];
  probes: string[];
  keys: string[];
  tenants: string[];
}

export function operations(): Operation[] {
  const spec = loadSpec();
  const out: Operation[] = [];
  for (const [p, item] of Object.entries(spec.paths as Json)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = (item as Json)[method];
      if (!op) continue;
      const params = deref([...((item as Json).parameters ?? []), ...(op.parameters ?? [])]) as Json[];
      const content = op.requestBody?.content ?? {};
      out.push({
        id: op.operationId, method: method.toUpperCase(), path: p, params,
        body: content['application/json'] ? deref(content['application/json'].schema) : null,
        multipart: Boolean(content['multipart/form-data']),
        secured: !(Array.isArray(op.security) && op.security.length === 0),
      });
    }
  }
  return out;
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Strings that have broken servers: encodings, injection, traversal, size. */
export const HOSTILE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\ud83d', '😀', '\u202e\u0000', '\ufeff', '\r\n', '\t',
  '../../etc/passwd', '..\\..\\windows', '%00', '%2e%2e%2f', "'; DROP TABLE jobs; --", '" OR 1=1 --', '$(reboot)', '`id`',
  '{{text}}', '{{answer}}', '{{', '}}', '{{text}} {{answer}}', '{{constructor}}', '__proto__', 'constructor', 'prototype',
  'null', 'undefined', 'NaN', 'Infinity', '-1', '0', '1e309', 'true', '[]', '{}', '<script>alert(1)</script>',
  '-'.repeat(36), 'g'.repeat(36), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '00000000-0000-4000-8000-00000000000', 'x'.repeat(201), 'y'.repeat(5000), 'é'.repeat(300), '\u0085\u2028\u2029',
];

function uuid(r: Rng): string {
  const h = () => Math.floor(r() * 16).toString(16);
  const s = (n: number) => Array.from({ length: n }, h).join('');
  return `${s(8)}-${s(4)}-4${s(3)}-${pick(r, ['8', '9', 'a', 'b'])}${s(3)}-${s(12)}`;
}

/** A string matching `^[CLASS]{a,b}$`, the only pattern shape the spec uses; else null. */
function fromPattern(r: Rng, pattern: string): string | null {
  const m = /^\^\[([^\]]+)\]\{(\d+),(\d+)\}\$$/.exec(pattern);
  if (!m) return null;
  const chars: string[] = [];
  const cls = m[1];
  for (let i = 0; i < cls.length; i++) {
    if (cls[i + 1] === '-' && i + 2 < cls.length) {
      for (let c = cls.charCodeAt(i); c <= cls.charCodeAt(i + 2); c++) chars.push(String.fromCharCode(c));
      i += 2;
    } else chars.push(cls[i]);
  }
  const n = int(r, Number(m[2]), Math.min(Number(m[3]), 20));
  return Array.from({ length: n }, () => pick(r, chars)).join('');
}

/** Known values for a property name, so that some valid requests name real things. */
function knownFor(name: string, known: Known): string[] {
  switch (name) {
    case 'dataset': return ['sentiment-reviews', 'facts-us-capitals', 'sentiment-afinn', ...known.datasets];
    case 'eval_datasets': return ['sentiment-afinn', ...known.datasets];
    case 'model': return ['use-lite'];
    case 'activations': return known.activationSets;
    case 'id': return [...known.jobs, ...known.keys];
    case 'probe': return known.probes;
    case 'jobs': return known.jobs;
    case 'tenant': return known.tenants;
    case 'templates': return ['binary/it-was', 'binary/review', '{{text}} It was {{answer}}.', 'statements/this-is'];
    case 'cursor': return [];
    case 'content': return [
      '{"text": "a fine film", "label": 1}\n{"text": "a dull film", "label": 0}\n{"text": "great", "label": 1}\n{"text": "bad", "label": 0}',
      'text,label\n"fine, really",1\ndull,0\nok,1\nmeh,0',
      '{"text": "\\u0000", "label": 1}\n{"text": "x", "label": 0}',
      '{"text": "q", "label": 1, "topic": "\\ud800"}\n{"text": "r", "label": 0}',
      '{"statement": "Paris is in France.", "label": true}\n{"statement": "Rome is in Peru.", "label": false}',
      '{"text": "Which?", "choices": ["a", "b", "c"], "label": 2}\n{"text": "Who?", "choices": ["x", "y"], "label": "y"}',
      '{"text": "' + 'long '.repeat(5000) + '", "label": 1}',
      '\ufefftext,label\n"unterminated,1',
    ];
    default: return [];
  }
}

function genString(r: Rng, s: Json, name: string, known: Known): string {
  const k = knownFor(name, known);
  if (k.length && r() < 0.7) return pick(r, k);
  if (s.format === 'uuid') return r() < 0.8 ? uuid(r) : pick(r, HOSTILE_STRINGS.filter((x) => x.length === 36).concat(['']));
  if (s.pattern && r() < 0.7) {
    const p = fromPattern(r, s.pattern);
    if (p !== null) return p;
  }
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 300, 6000);
  const hostile = HOSTILE_STRINGS.filter((x) => x.length >= min && x.length <= max);
  if (hostile.length && r() < 0.6) return pick(r, hostile);
  const n = int(r, min, r() < 0.2 ? max : Math.min(max, min + 20));
  const alphabet = ['a', 'Z', '0', ' ', '-', '_', '.', '/', '{', '}', 'é', '😀', '\u0000', '\ud800', '"', "'", '\\', '\n'];
  let out = '';
  while (out.length < n) out += pick(r, alphabet);
  return out.slice(0, n);
}

function genNumber(r: Rng, s: Json, integer: boolean): number {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-9) : integer ? -1000 : -1e6);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : 1e-9) : integer ? 1e6 : 1e6);
  const choices = [lo, hi, lo, hi, (lo + hi) / 2];
  let v = r() < 0.6 ? pick(r, choices) : lo + r() * (hi - lo);
  if (integer) v = Math.round(v);
  return Math.min(hi, Math.max(lo, v));
}

/** A value that fits `s` (hostile within its constraints). */
export function genValid(r: Rng, s: Json, name: string, known: Known, depth = 0): unknown {
  if (s.oneOf || s.anyOf) return genValid(r, pick(r, s.oneOf ?? s.anyOf), name, known, depth);
  if (s.allOf) return genValid(r, Object.assign({}, ...s.allOf), name, known, depth);
  if (s.const !== undefined) return s.const;
  if (s.enum) return pick(r, s.enum);
  const type = Array.isArray(s.type) ? pick(r, s.type.filter((t: string) => t !== 'null').concat(s.type.includes('null') ? ['null'] : [])) : s.type;
  switch (type) {
    case 'null': return null;
    case 'string': return genString(r, s, name, known);
    case 'integer': return genNumber(r, s, true);
    case 'number': return genNumber(r, s, false);
    case 'boolean': return r() < 0.5;
    case 'array': {
      const min = s.minItems ?? 0;
      const max = Math.min(s.maxItems ?? 5, depth > 2 ? 2 : 6);
      const n = r() < 0.1 && s.maxItems !== undefined ? s.maxItems : int(r, min, Math.max(min, max));
      if (name === 'eval_datasets' || name === 'jobs') {
        const k = knownFor(name, known);
        if (k.length && r() < 0.5) return Array.from({ length: Math.min(n, 2) }, () => pick(r, k));
      }
      const items = Array.from({ length: n }, () => genValid(r, s.items ?? {}, name, known, depth + 1));
      // uniqueness the spec cannot say (layers, methods): sometimes kept, sometimes not
      return r() < 0.7 && items.every((x) => typeof x !== 'object') ? [...new Set(items)] : items;
    }
    case 'object':
    default: {
      if (!s.properties && !s.additionalProperties) return {};
      const out: Json = {};
      for (const [k, sub] of Object.entries((s.properties ?? {}) as Json)) {
        if ((s.required ?? []).includes(k) || r() < (depth === 0 ? 0.25 : 0.5)) out[k] = genValid(r, sub, k, known, depth + 1);
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object' && r() < 0.3) out[pick(r, ['a', 'b'])] = genValid(r, s.additionalProperties, name, known, depth + 1);
      return out;
    }
  }
}

const WRONG: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, '', 'x', '\u0000', [], [null], {}, { $ref: '#/x' }, { __proto__: { a: 1 } }, 2 ** 53 + 1];

/** `valid` with one thing wrong somewhere: a type, a bound, a length, a missing or an unknown property. */
export function mutate(r: Rng, s: Json, v: unknown, depth = 0): unknown {
  const obj = v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
  if (obj && s.properties && r() < 0.7) {
    const keys = Object.keys(obj);
    const roll = r();
    if (keys.length && roll < 0.6) {
      const k = pick(r, keys);
      return { ...obj, [k]: mutate(r, deref(s.properties[k] ?? {}), obj[k], depth + 1) };
    }
    if (roll < 0.8) return { ...obj, [pick(r, ['surprise', '__proto__', 'constructor', 'name_of_character', 'x'.repeat(100)])]: pick(r, WRONG) };
    const req = s.required ?? [];
    if (req.length) {
      const { [pick(r, req) as string]: _drop, ...rest } = obj;
      return rest;
    }
  }
  if (Array.isArray(v) && v.length && r() < 0.5 && s.items) {
    const i = Math.floor(r() * v.length);
    const items = deref(s.items.oneOf ? pick(r, s.items.oneOf) : s.items);
    return v.map((x, j) => (j === i ? mutate(r, items, x, depth + 1) : x));
  }
  if (Array.isArray(v) && s.maxItems !== undefined && r() < 0.5) return Array.from({ length: s.maxItems + 1 }, (_, i) => v[i % Math.max(1, v.length)] ?? 0);
  if (typeof v === 'number' && r() < 0.7) {
    return pick(r, [(s.maximum ?? 1e6) + 1, (s.minimum ?? s.exclusiveMinimum ?? -1e6) - 1, s.exclusiveMinimum ?? -0.5, 0.5, 1e308, -0, String(v)]);
  }
  if (typeof v === 'string' && s.maxLength !== undefined && r() < 0.5) return 'z'.repeat(s.maxLength + 1);
  return pick(r, WRONG);
}

/** encodeURIComponent, but a lone surrogate (which it refuses) goes out as the invalid UTF-8 bytes ED A0 80. */
function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return Array.from(v, (ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return '%ED%A0%80';
      }
    }).join('');
  }
}

function urlWith(op: Operation, r: Rng, known: Known, invalid: boolean): string {
  let url = op.path;
  const query: string[] = [];
  for (const p of op.params) {
    const s = p.schema ?? {};
    if (p.in === 'path') {
      let v = String(genValid(r, s, p.name, known));
      if (invalid && r() < 0.5) v = pick(r, ['x', '-'.repeat(36), '%00', 'a'.repeat(300), "'", '..', uuid(r).toUpperCase(), uuid(r).slice(1)]);
      url = url.replace(`{${p.name}}`, enc(v));
    } else if (p.in === 'query' && (p.required || r() < 0.5)) {
      let v: unknown = genValid(r, s, p.name, known);
      if (p.name === 'jobs' && Array.isArray(v)) v = v.join(',');
      if (invalid && r() < 0.4) v = mutate(r, s, v);
      query.push(`${enc(p.name)}=${enc(typeof v === 'object' ? JSON.stringify(v) : String(v))}`);
    }
  }
  if (invalid && r() < 0.15) query.push(`bogus=${enc(pick(r, HOSTILE_STRINGS))}`);
  if (op.params.some((p) => p.name === 'cursor') && r() < 0.3) {
    const forged = pick(r, [
      `${new Date().toISOString()}|${'a'.repeat(36)}`, `yesterday|${uuid(r)}`, '["x",null,"pca",0,0]', '[null,-1,"pca",1e40,0]', '[]', 'garbage', `${new Date().toISOString()}|${uuid(r)}`,
    ]);
    query.push(`cursor=${Buffer.from(forged).toString('base64url')}`);
  }
  return query.length ? `${url}?${query.join('&')}` : url;
}

/** .npy / safetensors parts, honest or lying, for POST /v1/activations. */
async function multipartBody(r: Rng): Promise<{ payload: Buffer; contentType: string }> {
  const n = int(r, 0, 12);
  const d = int(r, 0, 6);
  const f32 = (rows: number, cols: number) => Float32Array.from({ length: rows * cols }, () => (r() - 0.5) * pick(r, [1, 1, 1e30, 1e38]));
  const labels = (k: number) => Int8Array.from({ length: k }, () => (r() < 0.9 ? int(r, 0, 1) : int(r, -2, 3)));
  const parts: [string, Uint8Array | string][] = [];
  const kind = r();
  if (kind < 0.35) {
    parts.push(['pos', encodeNpy([n, d], f32(n, d))], ['neg', encodeNpy([r() < 0.8 ? n : n + 1, d], f32(r() < 0.8 ? n : n + 1, d))]);
    if (r() < 0.7) parts.push(['labels', encodeNpy([r() < 0.8 ? n : int(r, 0, 20)], labels(n))]);
  } else if (kind < 0.5) {
    const f64 = Float64Array.from({ length: n * d }, () => pick(r, [0.5, -1, 1e39, -1e300, NaN, Infinity, 3.4e38]));
    parts.push(['pos', encodeNpy([n, d], f64)], ['neg', encodeNpy([n, d], f32(n, d))]);
  } else if (kind < 0.65) {
    const st = encodeSafetensors({ pos: { shape: [n, d], data: f32(n, d) }, neg: { shape: [n, d], data: f32(n, d) }, labels: { shape: [n], data: Float32Array.from(labels(n)) } });
    // Lie about a shape in the header (same byte length of JSON not guaranteed: it may break offsets too).
    const text = Buffer.from(st);
    if (r() < 0.5) text.write(pick(r, ['99', '1e9', '-1', '[]']), 16 + Math.floor(r() * 40));
    parts.push(['file', r() < 0.8 ? text : text.subarray(0, Math.floor(r() * text.length))]);
  } else if (kind < 0.8) {
    // A header that promises more than is sent, or a different shape from the data.
    const lie = encodeNpy([pick(r, [n, 1 << 20, 2 ** 40, 0]), pick(r, [d, 4096, 0])], new Float32Array(0));
    parts.push(['pos', lie], ['neg', encodeNpy([n, d], f32(n, d))]);
  } else if (kind < 0.9) {
    const junk = Uint8Array.from({ length: int(r, 0, 64) }, () => int(r, 0, 255));
    if (junk.length > 6 && r() < 0.5) junk.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 0);
    parts.push([pick(r, ['pos', 'neg', 'labels', 'file', 'bogus', '']), junk], ['neg', encodeNpy([n, d], f32(n, d))]);
  } else {
    parts.push(['name', pick(r, HOSTILE_STRINGS)], ['pos', encodeNpy([n], f32(n, 1))], ['pos', encodeNpy([n, d], f32(n, d))]);
  }
  const form = new FormData();
  for (const [k, v] of parts) {
    if (typeof v === 'string') form.append(k, v);
    else form.append(k, new Blob([Buffer.from(v)]), `${k}.npy`);
  }
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type')! };
}

/** One generated request for `op`. `auth` is the Authorization header a secured route gets (or none). */
export async function generate(r: Rng, op: Operation, known: Known, auth: string | null): Promise<FuzzRequest> {
  const shape = r() < 0.5 ? 'valid' : 'invalid';
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  for (const p of op.params.filter((x) => x.in === 'header')) {
    if (r() < 0.3) headers[p.name.toLowerCase()] = pick(r, ['k-1', 'k-2', 'x'.repeat(200), String(genValid(r, p.schema ?? {}, p.name, known)).replace(/[^\x20-\x7e]/g, '?') || 'k']);
  }
  const req: FuzzRequest = { op: op.id, method: op.method, url: urlWith(op, r, known, shape === 'invalid'), headers, shape };
  if (op.body) {
    let body: unknown = genValid(r, op.body, '', known);
    if (shape === 'invalid') body = mutate(r, op.body, body);
    headers['content-type'] = 'application/json';
    req.payload = JSON.stringify(body) ?? 'null';
  } else if (op.multipart) {
    const { payload, contentType } = await multipartBody(r);
    headers['content-type'] = contentType;
    req.payload = payload;
  }
  return req;
}
