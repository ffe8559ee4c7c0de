/**
 * Socket syscalls with errors that name the call, the errno and the address:
 * creating, binding, connecting (Go's connect loop), options, names.
 *
 * @module
 */
import { ErrnoError } from "../ffi/errors.ts";
import { errnoCell, libc, profile } from "../ffi/libc.ts";
import { FD } from "./fd.ts";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.ts";
import { type Addr, type AddrCache, decodeSockaddr, encodeInet, encodeUnix } from "./sockaddr.ts";

const k = profile.sock;
const E = profile.errno as Readonly<Record<string, number>>;

/** A new non-blocking, close-on-exec stream socket. */
export function newSocket(call: string, family: number): number {
  const s = libc.socket(family, k.SOCK_STREAM | k.SOCK_NONBLOCK | k.SOCK_CLOEXEC, 0);
  if (s < 0) throw new ErrnoError("socket", errnoCell[0]!, call);
  return s;
}

/** Closes a descriptor that never reached an FD (error paths). */
export function closeRaw(s: number): void {
  libc.close(s);
}

/** Puts a new socket `s` on the poller as an owned FD; if that fails, closes `s` and rethrows. */
export function socketFD(s: number): FD {
  try {
    return FD.open(s, { owned: true, socket: true });
  } catch (e) {
    closeRaw(s);
    throw e;
  }
}

const one = new Int32Array(1);

/** setsockopt with an int value. */
export function setIntOpt(s: number, level: number, name: number, value: number, what: string): void {
  one[0] = value;
  if (libc.setsockopt(s, level, name, one, 4) < 0) throw new ErrnoError("setsockopt", errnoCell[0]!, what);
}

/** getsockopt of an int value. */
export function getIntOpt(s: number, level: number, name: number, what: string): number {
  const v = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (libc.getsockopt(s, level, name, v, len) < 0) throw new ErrnoError("getsockopt", errnoCell[0]!, what);
  return v[0]!;
}

/** The socket's local (or, with `peer`, remote) address; `cache` reuses the Addr for the same bytes. */
export function sockName(s: number, peer: boolean, cache?: AddrCache): Addr {
  const b = new Uint8Array(128);
  const len = new Uint32Array([b.length]);
  const r = peer ? libc.getpeername(s, b, len) : libc.getsockname(s, b, len);
  if (r < 0) throw new ErrnoError(peer ? "getpeername" : "getsockname", errnoCell[0]!);
  return decodeSockaddr(b.subarray(0, len[0]), cache);
}

/** bind(2), naming the address on failure (EADDRINUSE, EACCES, ...). */
export function bindTo(s: number, sa: Uint8Array, what: string): void {
  if (libc.bind(s, sa, sa.length) < 0) throw new ErrnoError("bind", errnoCell[0]!, what);
}

/** Parses a numeric address, "[v6]" or "localhost"; null if it needs a resolver. */
export function numericIP(host: string): Uint8Array | null {
  if (host === "localhost") return parseIPv4("127.0.0.1"); // RFC 6761: always loopback
  if (host.startsWith("[") && host.endsWith("]")) return parseIPv6(host.slice(1, -1));
  return parseIPv4(host) ?? parseIPv6(host);
}

/** Resolves `host` with the runtime's resolver (Deno needs --allow-net for names). */
export async function resolveIP(call: string, host: string): Promise<Uint8Array> {
  if (typeof host !== "string") throw new TypeError(`${call}: hostname must be a string, got ${typeof host}`);
  const ip = numericIP(host);
  if (ip !== null) return ip;
  const dns = await import("node:dns/promises");
  let address: string;
  try {
    ({ address } = await dns.lookup(host));
  } catch (e) {
    throw new Error(`${call}: cannot resolve ${JSON.stringify(host)}: ${(e as Error).message}`, { cause: e });
  }
  const r = numericIP(address);
  if (r === null) throw new Error(`${call}: the resolver returned ${address} for ${host}`);
  return r;
}

/** Formats host:port for messages ("[::1]:80"). */
export function hostPort(ip: Uint8Array, port: number): string {
  const h = ip.length === 16 ? `[${formatIPv6(ip)}]` : formatIPv4(ip);
  return `${h}:${port}`;
}

/**
 * connect(2) the FD's socket to `sa`, Go's way: EINPROGRESS means wait for
 * writability, then read SO_ERROR (golang/go#7474: repeating connect does
 * not reliably report the outcome). Throws ErrnoError("connect", ...) naming `what`.
 */
export async function connectFD(fd: FD, sa: Uint8Array, what: string, signal?: AbortSignal): Promise<void> {
  const r = libc.connect(fd.sysfd, sa, sa.length);
  let e = r < 0 ? errnoCell[0]! : 0;
  if (e === 0 || e === E.EISCONN) return;
  if (e !== E.EINPROGRESS && e !== E.EALREADY && e !== E.EINTR) throw new ErrnoError("connect", e, what);
  for (;;) {
    await fd.waitWrite(signal === undefined ? undefined : { signal });
    e = fd.control("connect", (s) => getIntOpt(s, k.SOL_SOCKET, k.SO_ERROR, what));
    if (e === 0 || e === E.EISCONN) return;
    if (e !== E.EINPROGRESS && e !== E.EALREADY && e !== E.EINTR) throw new ErrnoError("connect", e, what);
  }
}

/** Where a socket binds or connects: the sockaddr bytes, the family, and the address for messages. */
export interface Endpoint {
  sa: Uint8Array;
  family: number;
  what: string;
}

/** A TCP endpoint for `ip` and `port`. */
export function inetEndpoint(ip: Uint8Array, port: number): Endpoint {
  return { sa: encodeInet(ip, port), family: ip.length === 16 ? k.AF_INET6 : k.AF_INET, what: hostPort(ip, port) };
}

/** A Unix endpoint; TypeError/RangeError naming `call` for a bad path. */
export function unixEndpoint(call: string, path: unknown): Endpoint {
  if (typeof path !== "string") throw new TypeError(`${call}: path must be a string`);
  return { sa: encodeUnix(call, path), family: k.AF_UNIX, what: path };
}

/** The error for a transport other than "tcp" or "unix". */
export function badTransport(call: string, options: object): TypeError {
  const t = (options as { transport?: unknown }).transport;
  return new TypeError(`${call}: transport must be "tcp" or "unix", got ${JSON.stringify(t)}`);
}
