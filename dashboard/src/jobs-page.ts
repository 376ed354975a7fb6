/**
 * The tenant's jobs, newest first, with live status: the first page is polled while the
 * page is visible; older pages load on demand and are kept, updated by id.
 */
import { getJson, type ApiError, type Job } from './api.ts';
import { h, clear, fmtTime, fmtDuration, statusBadge, progressBar } from './dom.ts';

const POLL_MS = 3000;
const STATUSES = ['', 'queued', 'running', 'completed', 'failed', 'cancelled'];

interface Page {
  jobs: Job[];
  next_cursor: string | null;
}

export async function jobsPage(root: HTMLElement): Promise<() => void> {
  const known = new Map<string, Job>();
  let cursor: string | null = null;
  let status = '';
  let firstDone = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const statusSelect = h('select', { id: 'status-filter', onchange: (e: Event) => {
    status = (e.target as HTMLSelectElement).value;
    known.clear();
    cursor = null;
    firstDone = false;
    void refresh();
  } },
    ...STATUSES.map((s) => h('option', { value: s }, s || 'all')));
  const tableBody = h('tbody', {});
  const moreButton = h('button', { type: 'button', id: 'load-more', onclick: () => void loadMore().catch((e) => { note.textContent = `could not load older jobs: ${(e as Error).message}`; }) }, 'load older jobs');
  const note = h('p', { class: 'muted', id: 'jobs-note' });
  clear(root);
  root.append(h('section', { class: 'card' },
    h('h1', {}, 'Jobs ', h('span', { class: 'live', title: `refreshed every ${POLL_MS / 1000} s` }, '● live')),
    h('div', { class: 'toolbar' }, h('label', {}, 'status ', statusSelect)),
    h('table', { class: 'jobs', id: 'jobs' },
      h('thead', {}, h('tr', {}, ...['job', 'status', 'progress', 'model', 'dataset', 'methods', 'submitted', 'running time'].map((t) => h('th', { scope: 'col' }, t)))),
      tableBody),
    note, moreButton));

  const query = (extra: string) => `/v1/jobs?limit=50${status ? `&status=${status}` : ''}${extra}`;

  const render = () => {
    const jobs = [...known.values()].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    clear(tableBody);
    for (const j of jobs) {
      tableBody.append(h('tr', { 'data-job-id': j.id, 'data-status': j.status },
        h('td', {}, h('a', { href: `/dashboard/jobs/${j.id}`, 'data-nav': true }, h('code', {}, j.id.slice(0, 8)))),
        h('td', {}, statusBadge(j.status)),
        h('td', {}, progressBar(j.progress, j.status)),
        h('td', {}, j.model),
        h('td', {}, j.dataset),
        h('td', {}, (j.spec.methods ?? []).join(', ')),
        h('td', {}, fmtTime(j.created_at)),
        h('td', {}, fmtDuration(j.started_at, j.finished_at))));
    }
    note.textContent = jobs.length ? '' : 'No jobs yet: submit one with `sonde submit` or POST /v1/jobs.';
    moreButton.hidden = cursor === null;
  };

  // Polls re-read the first page; only the first read (then load-more) moves the cursor to older pages.
  const refresh = async () => {
    clearTimeout(timer);
    try {
      const page = await getJson<Page>(query(''));
      for (const j of page.jobs) known.set(j.id, j);
      if (!firstDone) cursor = page.next_cursor;
      firstDone = true;
      render();
    } catch (e) {
      if ((e as ApiError).status === 401) return onFatal(e);
      note.textContent = `could not refresh: ${(e as Error).message}`;
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  };
  const poll = () => {
    if (document.hidden) timer = setTimeout(poll, POLL_MS);
    else void refresh();
  };
  const loadMore = async () => {
    if (!cursor) return;
    const page = await getJson<Page>(query(`&cursor=${encodeURIComponent(cursor)}`));
    for (const j of page.jobs) known.set(j.id, j);
    cursor = page.next_cursor;
    render();
  };
  const onFatal = (e: unknown) => window.dispatchEvent(new CustomEvent('sonde:unauthorized', { detail: (e as Error).message }));

  await refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
