/**
 * What every stress scenario returns, and the checks they share: a
 * scenario's figures (counts, bytes, milliseconds), the problems it saw
 * (each one a failure), and whether the poller and the process's descriptor
 * table are back where they started.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import { netpollStats } from "../src/mod.ts";

/** One scenario's outcome. `problems` empty means it passed. */
export interface Report {
  /** The scenario's name, as `stress/run.ts --only` takes it. */
  name: string;
  /** What it did and saw, for docs/RELIABILITY.md: counts, bytes, ms. */
  figures: Record<string, number>;
  /** Everything that went wrong, one line each. */
  problems: string[];
  /** Wall time of the scenario. */
  ms: number;
}

/** Records figures and problems while a scenario runs. */
export class Recorder {
  readonly figures: Record<string, number> = {};
  readonly problems: string[] = [];
  readonly #t0 = performance.now();
  readonly #fds: number;
  readonly #stats = netpollStats();

  /**
   * Starts recording scenario `name`. `countFds` false skips the descriptor
   * check (in a Worker the table is the whole process's, shared with
   * others); `fdAllowance` is how many descriptors the runtime may open
   * meanwhile without it counting as our leak.
   */
  constructor(readonly name: string, readonly opts: { countFds?: boolean; fdAllowance?: number } = {}) {
    this.#fds = opts.countFds === false ? 0 : openFds();
  }

  /** Adds `n` to figure `key`. */
  add(key: string, n = 1): void {
    this.figures[key] = (this.figures[key] ?? 0) + n;
  }

  /** Sets figure `key` to the larger of its value and `n`. */
  max(key: string, n: number): void {
    this.figures[key] = Math.max(this.figures[key] ?? 0, n);
  }

  /** Records a problem (keeps the first 20 of a kind and counts the rest). */
  problem(what: string): void {
    if (this.problems.length < 20) this.problems.push(what);
    else this.add("problemsNotShown");
  }

  /** Records `what` as a problem unless `ok`. */
  check(ok: boolean, what: string): void {
    if (!ok) this.problem(what);
  }

  /**
   * The report, after checking that the scenario left nothing behind: no
   * pollDesc open beyond those open when it started, no parked waiter, no
   * descriptor leaked.
   */
  finish(): Report {
    const s = netpollStats();
    this.check(s.open === this.#stats.open, `${s.open - this.#stats.open} pollDesc(s) left open`);
    this.check(s.waiters === 0, `${s.waiters} waiter(s) left parked`);
    // What the poller did meanwhile: hops to its thread, events dropped by
    // the generation check, polls a signal interrupted, deadlines fired.
    for (const k of ["blockingPolls", "staleEvents", "interrupted", "timersFired"] as const) {
      this.figures[`poller.${k}`] = s[k] - this.#stats[k];
    }
    if (this.opts.countFds !== false) {
      const fds = openFds();
      // Descriptors the runtime itself opened meanwhile (a timer fd, a
      // child's pipes not yet collected) are not ours: only growth beyond a
      // small allowance counts as a leak.
      const allowed = this.opts.fdAllowance ?? 4;
      this.check(fds <= this.#fds + allowed, `descriptors grew from ${this.#fds} to ${fds} (allowed ${allowed})`);
      this.figures.fdsBefore = this.#fds;
      this.figures.fdsAfter = fds;
    }
    return this.#report();
  }

  #report(): Report {
    return { name: this.name, figures: this.figures, problems: this.problems, ms: performance.now() - this.#t0 };
  }
}

/** The process's open descriptors (Linux /proc). */
export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** A one-line description of an error: its class and message. */
export function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Rejects with a named timeout if `p` has not settled within `ms`: how a scenario spots a stuck operation. */
export function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stuck: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** Resolves after the event loop has run its pending I/O once (a macrotask), not after a guessed time. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
