/**
 * The poll loop: who polls, when, and on which thread (Go's findrunnable and
 * sysmon, for one JS thread).
 *
 * - While parked waiters exist and the main thread keeps finding events, it
 *   polls inline (netpoll(0), ~1.6 µs) from a setImmediate, i.e. after the
 *   promise continuations of the previous batch have run, as a running M
 *   polls before going idle.
 * - When an inline poll finds nothing and no deadline is due, the main thread
 *   is idle: it hands netpoll(delay) to the poller thread, with delay = time
 *   to the earliest deadline, and awaits the result (a thread hop, ~5-15 µs).
 * - An earlier deadline while the thread is blocked wakes it (wakeNetPoller).
 * - Keep-alive follows Go's netpollWaiters: the thread is ref'd while any
 *   waiter is parked and unref'd at zero, so a process holding descriptors
 *   but waiting on none exits by itself.
 *
 * Every piece of poller state is owned by the main thread; the poller thread
 * touches only the shared event buffer and the control words, and only while
 * a request is outstanding (poller_thread.ts).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Backend, ReadySink } from "../backends/backend.ts";
import { PollCache } from "./pollcache.ts";
import { PollerThread } from "./poller_thread.ts";
import { nanotime, TimerHeap } from "./timers.ts";

const Idle = 0; // nothing scheduled; the next park kicks the loop
const Scheduled = 1; // an inline poll is queued with setImmediate
const Running = 2; // processing a poll's results
const Blocking = 3; // the poller thread is making the blocking call

/**
 * After a poll that found events, keep polling inline this long (ns) before
 * handing the wait to the poller thread (Go's spinning M): the next event of
 * a request/response exchange usually arrives within tens of µs, and an
 * inline poll (~2-4 µs) is cheaper than a thread hop (~11-15 µs).
 */
export const spinNs = 50_000;

/** FD operations that complete without parking between forced inline polls (tick). */
const pollEveryTicks = 32;

/**
 * How long (ns) one macrotask may keep running FD operations that complete
 * without parking before they yield to the runtime's event loop (Go's sysmon
 * preempts a goroutine after 10 ms). Busy connections run as unbroken chains
 * of promise continuations, and tick's inline polls keep waking more of them
 * inside the same chain, so without a bound the chain never ends: under
 * 1000 connections of load, a 10 ms setTimeout or setInterval in the same
 * process did not fire until the load stopped, on both runtimes. Past the
 * budget, completed operations settle in the next turn instead (yieldTurn).
 */
export const turnNs = 1_000_000;

/** Counters a test or benchmark can read (see netpollStats). */
export interface PollerStats {
  /** netpoll(0) calls made on the main thread. */
  inlinePolls: number;
  /** Blocking calls handed to the poller thread (thread hops). */
  blockingPolls: number;
  /** Readiness events delivered to pollDescs (before the stale-tag check). */
  events: number;
  /** Deadline timers fired. */
  timersFired: number;
  /** Inline polls forced by tick() between macrotasks. */
  tickPolls: number;
  /** Turns that ran past turnNs and made their busy operations yield to the event loop. */
  turnsYielded: number;
  /** Empty inline polls repeated while spinning instead of blocking. */
  spinPolls: number;
  /** Events dropped because their tag named a closed or reused slot (Go's fdseq check). */
  staleEvents: number;
}

/** Poller counters, all zero. */
export function zeroStats(): PollerStats {
  return {
    inlinePolls: 0,
    blockingPolls: 0,
    events: 0,
    timersFired: 0,
    tickPolls: 0,
    turnsYielded: 0,
    spinPolls: 0,
    staleEvents: 0,
  };
}

/** One isolate's poller: backend, slot table, timers, waiters and the loop. */
export class Poller {
  readonly backend: Backend;
  readonly cache: PollCache = new PollCache();
  readonly timers: TimerHeap = new TimerHeap();
  readonly stats: PollerStats = zeroStats();
  /** Go's netpollWaiters: parked waiters. */
  waiters = 0;
  /** Parked waiters on ref'd pollDescs: while > 0 the poller thread keeps the process alive. */
  refWaiters = 0;
  /** Set when the poller thread failed; every wait then reports NotPollable. */
  fatal: Error | null = null;

  #state = Idle;
  /** tick() is polling (see there). */
  #ticking = false;
  /** FD operations completed without parking since the last poll (see tick). */
  #ticks = 0;
  // The turn: from the first tick of a macrotask's chain of continuations
  // until #endTurn, a setImmediate queued then, runs; it can only run once
  // the chain has ended. Touched by tick, yieldTurn and #endTurn only.
  /** nanotime of the current turn's first tick; -1 between turns. */
  #turnStart = -1;
  /** The turn ran past turnNs: completed operations go on in the next one. */
  #yielding = false;
  /** Operations waiting for the next turn (yieldTurn). */
  #deferred: (() => void)[] = [];
  /** Until when (nanotime) an empty inline poll is followed by another instead of blocking. */
  #spinUntil = 0;
  #thread: PollerThread | null = null;
  /** When the outstanding blocking call returns at the latest (Go's sched.pollUntil); Infinity = never. */
  #pollUntil = Infinity;
  readonly #sink: ReadySink;
  readonly #onFatal: (e: Error) => void;

  constructor(backend: Backend, sink: ReadySink, onFatal: (e: Error) => void) {
    this.backend = backend;
    this.#sink = (slot, gen, mode, err, hangup) => {
      this.stats.events++;
      sink(slot, gen, mode, err, hangup);
    };
    this.#onFatal = onFatal;
    // Started now, not at the first blocking poll: a Worker takes ~20 ms (Bun)
    // to ~40 ms (Deno) to start, and a lazy start put all of that on the
    // first deadline that needed the thread (measured by bench/deadline.ts:
    // a 10 ms read deadline fired 45 ms late). Starting costs the main thread
    // nothing; the thread sits unref'd in Atomics.wait until asked.
    this.#thread = this.#startThread();
  }

  /** A waiter parked (netpollblockcommit); `ref`: its pollDesc holds the process alive. */
  parked(ref: boolean): void {
    this.waiters++;
    if (ref) this.refChanged(1);
    if (this.#state === Idle) this.#schedule();
  }

  /** A parked waiter was made runnable (netpollgoready). */
  unparked(ref: boolean): void {
    this.waiters--;
    if (ref) this.refChanged(-1);
  }

  /** `delta` parked waiters started (1) or stopped (-1) holding the process alive. */
  refChanged(delta: number): void {
    const before = this.refWaiters;
    this.refWaiters += delta;
    if (before === 0 && this.refWaiters > 0) this.#thread?.ref();
    else if (before > 0 && this.refWaiters === 0) this.#thread?.unref();
  }

  /**
   * An FD operation completed without parking. Connections whose data is
   * always ready run as an unbroken chain of promise continuations, and the
   * inline poll (a macrotask) would not run until every chain broke at once,
   * starving the connections that did park: p99 ~2-5 ms and fairness
   * 0.56-0.89 at 64-1000 connections (bench/run.ts, docs/PERFORMANCE.md).
   * So, like Go's scheduler polling the network every so many ticks rather
   * than only when idle, every `pollEveryTicks` operations poll inline right
   * here, and run due timers.
   */
  tick(): void {
    if (++this.#ticks < pollEveryTicks) return;
    this.#ticks = 0;
    const now = nanotime();
    if (this.#turnStart < 0) {
      this.#turnStart = now;
      setImmediate(this.#endTurn);
    } else if (!this.#yielding && now - this.#turnStart > turnNs) {
      this.#yielding = true;
      this.stats.turnsYielded++;
    }
    // Past the budget, no more polls in this chain: they would only wake
    // more continuations into it.
    if (this.#state === Running || this.#ticking || this.#yielding) return;
    this.stats.tickPolls++;
    // Waiters may be woken by callback (FD reads via pollWaitFn), and such a
    // callback's own FD operation ticks: a nested poll would overwrite the
    // inline event buffer this one is still decoding, losing its events.
    this.#ticking = true;
    try {
      this.backend.pollInline(this.#sink);
      this.#fireTimers();
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * undefined while the current turn has time left; past turnNs, a promise
   * settled in the next turn, for an operation that completed without
   * parking to await before it goes on (Go's Gosched), so the chain ends and
   * the runtime's timers and I/O get their turn.
   */
  yieldTurn(): Promise<void> | undefined {
    if (!this.#yielding) return undefined;
    return new Promise<void>((resolve) => this.#deferred.push(resolve));
  }

  readonly #endTurn = (): void => {
    this.#turnStart = -1;
    this.#yielding = false;
    const d = this.#deferred;
    if (d.length === 0) return;
    this.#deferred = [];
    for (const resolve of d) resolve();
  };

  /** A deadline was armed at `when` (wakeNetPoller): wake a blocked poll that would sleep past it. */
  timerArmed(when: number): void {
    if (this.#state === Blocking && when < this.#pollUntil) this.backend.wake();
  }

  /** Stops the poller thread and closes the backend. The caller checks nothing is open. */
  async shutdown(): Promise<void> {
    const t = this.#thread;
    this.#thread = null;
    if (t !== null) await t.stop();
    this.backend.destroy();
    this.#state = Idle;
  }

  #schedule(): void {
    this.#state = Scheduled;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#state = Running;
    this.#ticks = 0;
    this.stats.inlinePolls++;
    let n = 0;
    try {
      n = this.backend.pollInline(this.#sink);
    } catch (e) {
      this.#fail(e);
      return;
    }
    n += this.#fireTimers();
    this.#next(n);
  };

  #fireTimers(): number {
    if (this.timers.size === 0) return 0;
    const n = this.timers.runDue(nanotime());
    this.stats.timersFired += n;
    return n;
  }

  /** After a batch: stop if nobody waits, poll again if it found work or is spinning, else block. */
  #next(found: number): void {
    if (this.waiters === 0 || this.fatal !== null) {
      this.#state = Idle;
    } else if (found > 0) {
      this.#spinUntil = nanotime() + spinNs;
      this.#schedule();
    } else if (spinNs > 0 && nanotime() < this.#spinUntil) {
      this.stats.spinPolls++;
      this.#schedule();
    } else {
      this.#block();
    }
  }

  #block(): void {
    const now = nanotime();
    const next = this.timers.earliest();
    if (next <= now) {
      this.#schedule();
      return;
    }
    const delay = next === Infinity ? -1 : next - now;
    this.backend.prepareBlocking(delay);
    this.#pollUntil = next;
    const t = this.#thread!;
    this.#state = Blocking;
    this.stats.blockingPolls++;
    const p = t.request();
    if (p === undefined) this.#blockDone();
    else p.then(this.#blockDone);
  }

  readonly #blockDone = (): void => {
    const t = this.#thread;
    if (t === null) return; // shut down while blocked
    this.#state = Running;
    this.#pollUntil = Infinity;
    let n = 0;
    try {
      const [result, errno] = t.take();
      n = this.backend.completeBlocking(result, errno, this.#sink);
    } catch (e) {
      this.#fail(e);
      return;
    }
    n += this.#fireTimers();
    // Like an M back from a blocking netpoll: run what became ready, then
    // poll inline again before going back to sleep.
    this.#next(n === 0 ? 1 : n);
  };

  #startThread(): PollerThread {
    const t = new PollerThread(this.backend, (e) => this.#fail(e));
    if (this.refWaiters > 0) t.ref();
    this.#thread = t;
    return t;
  }

  #fail(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.fatal = err;
    this.#state = Idle;
    this.#onFatal(err);
  }
}
