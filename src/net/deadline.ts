/**
 * Deadlines as users give them (a Date, epoch milliseconds, or null) turned
 * into the poller's form: nanoseconds from now, 0 for none, negative for past.
 *
 * @module
 */

/** A deadline: a Date, milliseconds since the epoch (like `Date.now()`), or null for none. *
 * @example
 * ```ts
 * import { connect, type Deadline } from "@netpoll/netpoll";
 * const conn = await connect({ port: 8080 });
 * const inFiveSeconds: Deadline = Date.now() + 5_000; // or new Date(...), or null to clear
 * conn.setReadDeadline(inFiveSeconds);
 * ```
 */
export type Deadline = Date | number | null;

/** Converts `t` for pollSetDeadline. Throws TypeError naming `call` for a bad value. */
export function deadlineToNs(call: string, t: Deadline): number {
  if (t === null) return 0;
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new TypeError(`${call}: the deadline must be a Date, epoch milliseconds or null, got ${String(t)}`);
  }
  const d = (ms - Date.now()) * 1e6;
  // As Go's setDeadlineImpl: a deadline at or before now is already expired.
  return d > 0 ? d : -1;
}
