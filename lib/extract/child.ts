/**
 * Entry point of the extraction child process (forked by ExtractionClient). It holds the
 * warm ONNX Runtime sessions and answers one request at a time over IPC; session.run may
 * block this process's event loop without starving the parent's (BullMQ lock renewal).
 *
 * Its options arrive explicitly as JSON in argv[2] (ChildOptions), never from the
 * environment: the parent resolved them from the one configuration (infra/config.ts).
 */
import { ExtractionEngine } from './engine.ts';
import type { ChildOptions, FromChild, ToChild } from './types.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const engine = new ExtractionEngine({
  threads: opts.threads || undefined,
  provider: opts.provider ?? 'auto',
  graphPooling: opts.graphPooling !== false,
});

function send(msg: FromChild): Promise<void> {
  return new Promise((resolve, reject) => process.send!(msg, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

let queue = Promise.resolve();

process.on('message', (msg: ToChild) => {
  if (msg.type === 'close') {
    queue = queue.then(() => engine.close()).finally(() => process.exit(0));
    return;
  }
  const { id, req } = msg;
  queue = queue.then(async () => {
    try {
      const layers: Promise<void>[] = [];
      const stats = await engine.extract(
        req,
        (r) => layers.push(send({ type: 'layer', id, ...r })),
        (done, total) => void send({ type: 'progress', id, done, total }).catch(() => {}),
      );
      await Promise.all(layers);
      await send({ type: 'done', id, stats });
    } catch (e) {
      const err = e as Error;
      await send({ type: 'error', id, name: err.name ?? 'Error', message: err.message ?? String(e) }).catch(() => {});
    }
  });
});

// The parent went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));
