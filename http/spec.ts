/**
 * openapi.yaml is the contract. This module loads it once, resolves its internal $refs,
 * and hands each route the JSON Schemas of its parameters and body, so requests are
 * validated against the very file users read. Tests use `responseSchema` to check real
 * responses against the same file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const SPEC_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '../openapi.yaml');

type Json = Record<string, any>;

let cached: Json | null = null;

export function loadSpec(): Json {
  if (!cached) cached = YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8')) as Json;
  return cached;
}

/** Inline every `#/...` reference (the spec has no cycles). */
export function deref(node: unknown, spec: Json = loadSpec()): any {
  if (Array.isArray(node)) return node.map((n) => deref(n, spec));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Json;
  if (typeof obj.$ref === 'string') {
    const target = obj.$ref.replace(/^#\//, '').split('/').reduce((o: Json, k: string) => o?.[k], spec);
    if (target === undefined) throw new Error(`openapi.yaml: unresolved $ref ${obj.$ref}`);
    return deref(target, spec);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) out[k] = deref(v, spec);
  return out;
}

interface Operation {
  method: string;
  path: string;
  op: Json;
  pathParams: Json[];
}

function findOperation(operationId: string): Operation {
  const spec = loadSpec();
  for (const [p, item] of Object.entries(spec.paths as Json)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = (item as Json)[method];
      if (op?.operationId === operationId) return { method, path: p, op, pathParams: (item as Json).parameters ?? [] };
    }
  }
  throw new Error(`openapi.yaml has no operation ${operationId}`);
}

function objectOf(params: Json[]): Json | undefined {
  if (!params.length) return undefined;
  const properties: Json = {};
  const required: string[] = [];
  for (const p of params) {
    // Fastify lower-cases header names.
    const name = p.in === 'header' ? String(p.name).toLowerCase() : p.name;
    properties[name] = p.schema ?? {};
    if (p.required) required.push(name);
  }
  return { type: 'object', properties, required };
}

/** Fastify route schema (params, querystring, headers, body) for an operation. */
export function routeSchema(operationId: string): { url: string; method: string; schema: Json } {
  const { method, path: p, op, pathParams } = findOperation(operationId);
  const params = deref([...pathParams, ...(op.parameters ?? [])]) as Json[];
  const schema: Json = {};
  const byIn = (where: string) => params.filter((x) => x.in === where);
  const pathSchema = objectOf(byIn('path'));
  if (pathSchema) schema.params = pathSchema;
  const query = objectOf(byIn('query'));
  if (query) schema.querystring = { ...query, additionalProperties: false };
  const headers = objectOf(byIn('header'));
  if (headers) schema.headers = headers;
  const body = op.requestBody?.content?.['application/json']?.schema;
  if (body) schema.body = deref(body);
  return { url: p.replace(/\{(\w+)\}/g, ':$1'), method: method.toUpperCase(), schema };
}

/** The response schema the spec promises for an operation, status and media type. */
export function responseSchema(operationId: string, status: number, mediaType = 'application/json'): Json | null {
  const { op } = findOperation(operationId);
  const resp = deref(op.responses?.[String(status)]);
  return resp?.content?.[mediaType]?.schema ?? null;
}
