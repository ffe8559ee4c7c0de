/**
 * A poll delay as the `struct timespec` kevent and port_getn take.
 *
 * @module
 */

/** The longest wait one call is given, in seconds: macOS's kevent refuses longer ones (EINVAL); Go caps kqueue and event ports at 1e6 s (~11.5 days). */
export const maxWaitSec = 1e6;

/** Writes `delayNs` (>= 0) into `ts` (tv_sec, tv_nsec), rounded up to the nanosecond and capped at {@linkcode maxWaitSec}. */
export function setTimespec(ts: BigInt64Array, delayNs: number): void {
  const ns = Math.ceil(delayNs);
  const sec = Math.min(Math.floor(ns / 1e9), maxWaitSec);
  ts[0] = BigInt(sec);
  ts[1] = BigInt(sec === maxWaitSec ? 0 : ns % 1e9);
}
