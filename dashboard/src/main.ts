/**
 * Entry point of the dashboard bundle: the key prompt and a small client-side router
 * (`/dashboard` → jobs list, `/dashboard/jobs/{id}` → one job, `/dashboard/compare` →
 * comparisons of jobs or a sweep). The server answers every such path with the same page,
 * so links can be bookmarked and reloaded.
 */
import { takeKeyFromUrl, getKey, setKey, forgetKey } from './api.ts';
import { h, clear } from './dom.ts';
import { jobsPage } from './jobs-page.ts';
import { jobPage } from './job-page.ts';
import { comparisonsPage } from './comparisons-page.ts';

const root = document.getElementById('app')!;
const keyBox = document.getElementById('key-status')!;
let stopPage: (() => void) | null = null;

function renderKeyStatus(): void {
  clear(keyBox);
  const key = getKey();
  if (!key) return;
  keyBox.append(h('span', { class: 'muted' }, `key ${key.slice(0, 12)}…`), ' ',
    h('button', { type: 'button', id: 'forget-key', onclick: () => { forgetKey(); void route(); } }, 'forget key'));
}

function keyForm(message?: string): void {
  clear(root);
  const input = h('input', { type: 'password', id: 'api-key', name: 'key', autocomplete: 'off', placeholder: 'sk_…', required: true, size: 48 });
  root.append(h('section', { class: 'card' },
    h('h1', {}, 'API key'),
    h('p', {}, 'The dashboard reads the same JSON API as the CLI. Paste a key (from `sonde keys create`); it is kept in this browser only.'),
    message ? h('p', { class: 'error', role: 'alert' }, message) : null,
    h('form', { id: 'key-form', onsubmit: (e: Event) => { e.preventDefault(); setKey(input.value); void route(); } },
      input, ' ', h('button', { type: 'submit' }, 'use key'))));
  input.focus();
}

async function route(): Promise<void> {
  stopPage?.();
  stopPage = null;
  renderKeyStatus();
  if (!getKey()) return keyForm();
  const m = /^\/dashboard\/jobs\/([0-9a-f-]{36})\/?$/i.exec(location.pathname);
  if (m) stopPage = await jobPage(root, m[1]);
  else if (/^\/dashboard\/compare\/?$/.test(location.pathname)) stopPage = await comparisonsPage(root, new URLSearchParams(location.search));
  else stopPage = await jobsPage(root);
}

// In-app links change the route without a reload (and stop the old page's polling).
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a[data-nav]') as HTMLAnchorElement | null;
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  history.pushState(null, '', a.pathname + a.search);
  void route();
});
window.addEventListener('popstate', () => void route());
window.addEventListener('sonde:unauthorized', (e) => {
  stopPage?.();
  stopPage = null;
  forgetKey();
  renderKeyStatus();
  keyForm(`The API refused the key: ${(e as CustomEvent<string>).detail}`);
});

takeKeyFromUrl();
void route();
