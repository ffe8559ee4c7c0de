/**
 * pollCache: the slot table that maps the kernel's event tag back to a
 * pollDesc (Go's pollcache plus the fdseq tag of golang/go#59545).
 *
 * Slot indices are stable while the kernel may return them. Each slot has a
 * generation that is bumped when its pollDesc is freed, so an event already
 * in flight for a closed descriptor, or for the same fd number reopened, has
 * a stale generation and is dropped. Slots grow in blocks and are reused from
 * a free list, lowest-freed-last, like Go's.
 *
 * @module
 */
import { PollDescImpl } from "./polldesc.ts";

/** Slots added per growth step. */
export const pollBlockSlots = 256;

/** The slot table. Touched only by the main thread. */
export class PollCache {
  #pds: (PollDescImpl | undefined)[] = [];
  #gens = new Uint32Array(0);
  #free: number[] = [];
  #open = 0;

  /** How many pollDescs are open. */
  get open(): number {
    return this.#open;
  }

  /** How many slots exist. */
  get capacity(): number {
    return this.#gens.length;
  }

  /** Takes a slot and makes a pollDesc for `fd` in it (Go's pollcache.alloc). */
  alloc(fd: number): PollDescImpl {
    if (this.#free.length === 0) this.#grow();
    const slot = this.#free.pop()!;
    const pd = new PollDescImpl(fd, slot, this.#gens[slot]!);
    this.#pds[slot] = pd;
    this.#open++;
    return pd;
  }

  /** Returns the slot and bumps its generation, so late events for `pd` are dropped. */
  free(pd: PollDescImpl): void {
    if (this.#pds[pd.slot] !== pd) throw new Error("netpoll: internal: freeing a pollDesc that does not own its slot");
    this.#pds[pd.slot] = undefined;
    this.#gens[pd.slot] = (this.#gens[pd.slot]! + 1) >>> 0;
    this.#free.push(pd.slot);
    this.#open--;
  }

  /** The pollDesc an event tag names, or undefined when the tag is stale. */
  lookup(slot: number, gen: number): PollDescImpl | undefined {
    const pd = this.#pds[slot];
    return pd !== undefined && pd.gen === gen ? pd : undefined;
  }

  /** Every open pollDesc (for shutdown). */
  *all(): Generator<PollDescImpl> {
    for (const pd of this.#pds) if (pd !== undefined) yield pd;
  }

  #grow(): void {
    const old = this.#gens;
    const gens = new Uint32Array(old.length + pollBlockSlots);
    gens.set(old);
    this.#gens = gens;
    // Pushed high to low so the lowest index is handed out first.
    for (let s = gens.length - 1; s >= old.length; s--) this.#free.push(s);
  }
}
