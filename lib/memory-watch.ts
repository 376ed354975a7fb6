/**
 * Watches a child process's resident memory and calls `onExceed` once it passes a limit.
 * V8's --max-old-space-size bounds only the JavaScript heap; typed arrays (activations,
 * ONNX Runtime's buffers) live outside it, so the resident size is what bounds a child.
 * Reads /proc/<pid>/statm (Linux); elsewhere it watches nothing and says so once.
 */
import fs from 'node:fs';

const PAGE = 4096;

export function residentMiB(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return (Number(fields[1]) * PAGE) / 2 ** 20;
  } catch {
    return null;
  }
}

export function watchMemory(pid: number, limitMiB: number, onExceed: (rssMiB: number) => void, everyMs = 200): () => void {
  if (!(limitMiB > 0)) return () => {};
  let fired = false;
  const timer = setInterval(() => {
    const rss = residentMiB(pid);
    if (rss === null) return clearInterval(timer);
    if (!fired && rss > limitMiB) {
      fired = true;
      clearInterval(timer);
      onExceed(rss);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
