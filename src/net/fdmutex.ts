/**
 * fdMutex: Go's internal/poll fdMutex for one thread. It serializes reads
 * with reads and writes with writes (a read and a write may run at once),
 * counts operations in flight, and lets close wait until they have all
 * returned, so the fd number is never closed, and so never reused, under a
 * running operation.
 *
 * Unlike Go's, a second reader queues rather than spinning on a semaphore,
 * in arrival order; close fails every queued operation with ErrClosing.
 *
 * @module
 */
import { ErrClosing } from "./errors.ts";

type Waiter = { resolve: () => void; reject: (e: Error) => void; op: string };

/**
 * One FD's lock state. Touched only by the main thread. Flat fields, and the
 * queues made only when a second operation queues: every idle connection
 * holds one of these (bench/idle.ts counts the bytes).
 */
export class FdMutex {
  /** Operations holding a reference: lock holders plus incref users. */
  #refs = 0;
  #closing = false;
  #drained: (() => void) | null = null;
  #readHeld = false;
  #writeHeld = false;
  /** Operations waiting for the read lock, in arrival order; null until one queues. */
  #readQueue: Waiter[] | null = null;
  #writeQueue: Waiter[] | null = null;

  /** Whether close has started. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Takes the read (or write) lock. Returns undefined when it was free (no
   * allocation), or a promise that settles when it is handed over. Throws
   * ErrClosing once close has started.
   */
  lock(read: boolean, op: string): Promise<void> | undefined {
    if (this.#closing) throw new ErrClosing(op);
    this.#refs++;
    if (read ? !this.#readHeld : !this.#writeHeld) {
      if (read) this.#readHeld = true;
      else this.#writeHeld = true;
      return undefined;
    }
    const q = read ? (this.#readQueue ??= []) : (this.#writeQueue ??= []);
    return new Promise<void>((resolve, reject) => q.push({ resolve, reject, op }));
  }

  /**
   * Whether a write holds the write lock (a synchronous send must not
   * overtake its bytes). Throws ErrClosing once close has started.
   */
  writeBusy(op: string): boolean {
    if (this.#closing) throw new ErrClosing(op);
    return this.#writeHeld;
  }

  /** Releases the lock, handing it to the next queued operation if any. */
  unlock(read: boolean): void {
    const next = (read ? this.#readQueue : this.#writeQueue)?.shift();
    if (next !== undefined) next.resolve(); // keeps the lock held; its ref was taken when it queued
    else if (read) this.#readHeld = false;
    else this.#writeHeld = false;
    this.#decref();
  }

  /** A reference without a lock (setDeadline and friends). Throws ErrClosing once closing. */
  incref(op: string): void {
    if (this.#closing) throw new ErrClosing(op);
    this.#refs++;
  }

  /** Drops a reference from incref. */
  decref(): void {
    this.#decref();
  }

  /**
   * Starts close: later operations fail, queued ones are rejected now.
   * Returns a promise for the moment the last in-flight operation returns.
   * Throws ErrClosing if close had already started (a double close).
   */
  close(): Promise<void> | undefined {
    if (this.#closing) throw new ErrClosing("close");
    this.#closing = true;
    for (const q of [this.#readQueue, this.#writeQueue]) {
      for (const w of q?.splice(0) ?? []) {
        this.#refs--;
        w.reject(new ErrClosing(w.op));
      }
    }
    if (this.#refs === 0) return undefined;
    return new Promise<void>((resolve) => (this.#drained = resolve));
  }

  #decref(): void {
    if (--this.#refs === 0 && this.#drained !== null) {
      const d = this.#drained;
      this.#drained = null;
      d();
    }
  }
}
