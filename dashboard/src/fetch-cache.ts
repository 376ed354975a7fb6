/**
 * The job page re-renders on every poll and every select change; the cards that read a
 * second route (phase diagram, disagreements, ELK) keep their last answer per path until
 * the job's results change (`version`), so a redraw never refetches.
 */
import { getJson } from './api.ts';

const cache = new Map<string, { version: string; value: Promise<unknown> }>();

export function cachedJson<T>(path: string, version: string): Promise<T> {
  const hit = cache.get(path);
  if (hit && hit.version === version) return hit.value as Promise<T>;
  const value = getJson<T>(path);
  // A failed request is not kept: the next redraw asks again.
  value.catch(() => { if (cache.get(path)?.value === value) cache.delete(path); });
  if (cache.size > 200) cache.clear();
  cache.set(path, { version, value });
  return value;
}
