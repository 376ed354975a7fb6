/**
 * Builds the dashboard's three assets in memory: the page, one JavaScript bundle
 * (dashboard/src + uPlot from node_modules, by esbuild, which tsx already ships) and one
 * stylesheet (uPlot's then ours). Nothing is fetched from a CDN and nothing is written
 * to disk, so a read-only image serves it as well as a checkout.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface DashboardAssets {
  page: Asset;
  files: Map<string, Asset>;
}

function asset(body: Buffer | string, contentType: string): Asset {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: buf, contentType, etag: `"${crypto.createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"` };
}

export async function buildDashboardAssets(): Promise<DashboardAssets> {
  const out = await build({
    entryPoints: [path.join(HERE, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
    legalComments: 'inline',
  });
  const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  const css = [
    await fs.readFile(path.join(uplotDir, 'uPlot.min.css'), 'utf8'),
    await fs.readFile(path.join(HERE, 'style.css'), 'utf8'),
  ].join('\n');
  return {
    page: asset(await fs.readFile(path.join(HERE, 'index.html')), 'text/html; charset=utf-8'),
    files: new Map([
      ['app.js', asset(Buffer.from(out.outputFiles[0].contents), 'text/javascript; charset=utf-8')],
      ['app.css', asset(css, 'text/css; charset=utf-8')],
    ]),
  };
}
