/**
 * A fit child process (forked by FitPool): CPU-bound fitting runs here so the worker's
 * event loop keeps renewing BullMQ locks, under a memory cap, and can be killed on cancel.
 * The parent sends the resolved configuration once (`init`, never re-read from the
 * environment), then one fit unit at a time; the child reads the unit's activations
 * straight from the activation store (rows of the store entries, no per-job copy), runs
 * fitLayer and sends the rows back. It touches neither Postgres nor Redis.
 */
import type { Config } from '../infra/config.ts';
import { createStores, type Stores } from '../infra/store/index.ts';
import { errorKind } from '../lib/errors.ts';
import type { FitUnit } from '../services/pipeline.ts';
import { fitLayer, type ConditionData, type LayerOutcome } from '../lib/fit/index.ts';

export type ToFitChild = { type: 'init'; config: Config } | { type: 'fit'; id: number; unit: FitUnit };
export type FromFitChild =
  | { type: 'done'; id: number; outcome: LayerOutcome }
  | { type: 'error'; id: number; kind: string | null; message: string };

let stores: Stores | null = null;

export async function loadConditions(s: Stores, unit: FitUnit): Promise<ConditionData[]> {
  const out: ConditionData[] = [];
  for (const c of unit.conditions) {
    const store = s[c.source.store];
    const pos = await store.getRows(c.source.key, unit.layer, c.source.posSide, c.source.posRows);
    const neg = await store.getRows(c.source.key, unit.layer, c.source.negSide, c.source.negRows);
    if (!pos || !neg) throw new Error(`activation store entry ${c.source.key} has no layer ${unit.layer} (evicted or not yet written)`);
    out.push({ name: c.name, meta: c.meta, pos, neg });
  }
  return out;
}

function send(msg: FromFitChild): void {
  process.send!(msg);
}

process.on('message', (msg: ToFitChild) => {
  if (msg.type === 'init') {
    stores = createStores(msg.config);
    return;
  }
  const { id, unit } = msg;
  (async () => {
    if (!stores) throw new Error('fit child: no configuration received');
    const outcome = fitLayer(unit.spec, unit.layer, await loadConditions(stores, unit));
    send({ type: 'done', id, outcome });
  })().catch((e: Error) => send({ type: 'error', id, kind: errorKind(e), message: e.message }));
});

process.on('disconnect', () => process.exit(0));
