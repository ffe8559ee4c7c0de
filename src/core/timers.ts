/**
 * The poller's deadline timers: a binary min-heap on `when`. The poller owns
 * it so that the blocking wait's delay is the time to the earliest deadline
 * (Go's findrunnable / pollUntil), rather than leaning on runtime timers that
 * fire 1-2 ms late (RUNTIME-FACTS.md).
 *
 * @module
 */
import type { DeadlineTimer } from "./polldesc.ts";

/** Nanoseconds on a monotonic clock (Go's nanotime). A float; exact to well under 1 µs. */
export function nanotime(): number {
  return performance.now() * 1e6;
}

/** A min-heap of armed deadline timers. */
export class TimerHeap {
  #h: DeadlineTimer[] = [];

  /** How many timers are armed. */
  get size(): number {
    return this.#h.length;
  }

  /** The earliest `when`, or Infinity when none is armed. */
  earliest(): number {
    return this.#h.length === 0 ? Infinity : this.#h[0]!.when;
  }

  /** Arms `t` at `when` (or moves it there if armed). */
  set(t: DeadlineTimer, when: number): void {
    t.when = when;
    if (t.index < 0) {
      t.index = this.#h.length;
      this.#h.push(t);
      this.#up(t.index);
    } else {
      this.#up(t.index);
      this.#down(t.index);
    }
  }

  /** Disarms `t` if armed. */
  delete(t: DeadlineTimer): void {
    const i = t.index;
    if (i < 0) return;
    const last = this.#h.pop()!;
    t.index = -1;
    if (last !== t) {
      this.#h[i] = last;
      last.index = i;
      this.#up(i);
      this.#down(i);
    }
  }

  /** Fires every timer due at `now`, earliest first. Returns how many fired. */
  runDue(now: number): number {
    let n = 0;
    while (this.#h.length > 0 && this.#h[0]!.when <= now) {
      const t = this.#h[0]!;
      this.delete(t);
      // A timer keeps its f after firing, as Go's does: pollSetDeadline then
      // re-arms it with modtimer rather than treating it as new.
      t.f!(t.pd, t.seq);
      n++;
    }
    return n;
  }

  #up(i: number): void {
    const h = this.#h;
    const t = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.when <= t.when) break;
      h[i] = h[p]!;
      h[i]!.index = i;
      i = p;
    }
    h[i] = t;
    t.index = i;
  }

  #down(i: number): void {
    const h = this.#h;
    const n = h.length;
    const t = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.when < h[c]!.when) c++;
      if (h[c]!.when >= t.when) break;
      h[i] = h[c]!;
      h[i]!.index = i;
      i = c;
    }
    h[i] = t;
    t.index = i;
  }
}
