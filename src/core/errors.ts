/**
 * Errors for misuse of the poller API: what Go's runtime answers with
 * `throw` ("double wait", "close polldesc w/o unblock", ...). Here they are
 * exceptions (or rejections) that name the call and leave the poller working.
 *
 * @module
 */

/**
 * A call that breaks the poller's rules: two waits in one mode at once,
 * pollClose before pollUnblock, a pollDesc used after pollClose.
 *
 * @example
 * ```ts
 * import { pollClose, pollOpen, UsageError } from "@netpoll/netpoll";
 * declare const fd: number;
 * const pd = pollOpen(fd);
 * try {
 *   pollClose(pd); // pollUnblock must come first
 * } catch (e) {
 *   console.log(e instanceof UsageError, (e as UsageError).call); // true "pollClose"
 * }
 * ```
 */
export class UsageError extends Error {
  /** The API call that was misused. */
  readonly call: string;
  /** Makes the error for API call `call`; `what` says what was wrong. */
  constructor(call: string, what: string) {
    super(`${call}: ${what}`);
    this.name = "UsageError";
    this.call = call;
  }
}
