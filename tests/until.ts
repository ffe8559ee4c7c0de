// Waiting on a condition that an event will make true, by yielding to the
// event loop (never by sleeping a guessed time). Bounded in count and time.
import { setImmediate } from "node:timers";

export async function until(what: string, cond: () => boolean, maxMs = 5_000): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; !cond(); i++) {
    if (performance.now() - t0 > maxMs || i > 10_000_000) throw new Error(`timed out waiting until ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** Busy-waits on a condition another thread will make true; bounded in time. */
export function spinUntil(what: string, cond: () => boolean, maxMs = 5_000): void {
  const t0 = performance.now();
  while (!cond()) if (performance.now() - t0 > maxMs) throw new Error(`timed out spinning until ${what}`);
}
