/**
 * sockaddr_in, sockaddr_in6 and sockaddr_un, laid out by hand (Linux layouts:
 * sa_family is a host-order u16 at offset 0; ports and IPv4 addresses are in
 * network order). tests/net_addr.test.ts checks the sizes and offsets against
 * the C headers.
 *
 * @module
 */
import { profile } from "../ffi/libc.ts";
import { formatIPv4, formatIPv6 } from "./ip.ts";

const { AF_INET, AF_INET6, AF_UNIX } = profile.sock;

/** A TCP address, as Deno's `Deno.NetAddr`. *
 * @example
 * ```ts
 * import { listen, type NetAddr } from "@netpoll/netpoll";
 * const l = listen({ hostname: "127.0.0.1", port: 0 });
 * console.log((l.addr as NetAddr).port); // the port the kernel chose
 * ```
 */
export interface NetAddr {
  /** Always "tcp". */
  transport: "tcp";
  /** The numeric address: "127.0.0.1", "::1". */
  hostname: string;
  /** The port. */
  port: number;
}

/** A Unix socket address, as Deno's `Deno.UnixAddr`. A leading "\0" names a Linux abstract socket. *
 * @example
 * ```ts
 * import { listen, type UnixAddr } from "@netpoll/netpoll";
 * const l = listen({ transport: "unix", path: "/tmp/app.sock" });
 * console.log((l.addr as UnixAddr).path); // "/tmp/app.sock"
 * ```
 */
export interface UnixAddr {
  /** Always "unix". */
  transport: "unix";
  /** The socket's path ("" for an unnamed peer). */
  path: string;
}

/** Either address. *
 * @example
 * ```ts
 * import { type Addr, connect } from "@netpoll/netpoll";
 * const conn = await connect({ port: 8080 });
 * const a: Addr = conn.remoteAddr;
 * console.log(a.transport === "tcp" ? `${a.hostname}:${a.port}` : a.path);
 * ```
 */
export type Addr = NetAddr | UnixAddr;

/** sizeof(struct sockaddr_in). */
export const sockaddrInSize = 16;
/** sizeof(struct sockaddr_in6). */
export const sockaddrIn6Size = 28;
/** sizeof(struct sockaddr_un). */
export const sockaddrUnSize = 110;
/** offsetof(struct sockaddr_un, sun_path). */
const sunPathOffset = 2;

/** Encodes an IPv4 (4 bytes) or IPv6 (16 bytes) address and port. */
export function encodeInet(ip: Uint8Array, port: number): Uint8Array {
  const v6 = ip.length === 16;
  const b = new Uint8Array(v6 ? sockaddrIn6Size : sockaddrInSize);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, v6 ? AF_INET6 : AF_INET, true);
  dv.setUint16(2, port, false);
  // sockaddr_in6: flowinfo u32 @4 (0), addr @8, scope_id u32 @24 (0).
  b.set(ip, v6 ? 8 : 4);
  return b;
}

/** Encodes a Unix path; "\0name" is abstract. Throws RangeError naming `call` if it does not fit. */
export function encodeUnix(call: string, path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  const abstract = bytes[0] === 0;
  // A filesystem path needs its terminating NUL inside sun_path; an abstract name does not.
  const room = sockaddrUnSize - sunPathOffset - (abstract ? 0 : 1);
  if (bytes.length === 0 || bytes.length > room) {
    throw new RangeError(`${call}: a Unix socket path must be 1 to ${room} bytes, got ${bytes.length}`);
  }
  if (!abstract && bytes.includes(0)) throw new TypeError(`${call}: the Unix socket path contains a NUL byte`);
  // The length passed to bind/connect: exact for abstract names (every byte counts), with the NUL otherwise.
  const b = new Uint8Array(sunPathOffset + bytes.length + (abstract ? 0 : 1));
  new DataView(b.buffer).setUint16(0, AF_UNIX, true);
  b.set(bytes, sunPathOffset);
  return b;
}

/**
 * The last value decoded from some bytes, kept with those bytes: decoding the
 * same bytes again returns the same value. Every connection a listener
 * accepts has the same local address, and peers mostly come from a few
 * hosts, so a connection shares its Addr or hostname instead of holding a
 * new one (an idle connection's bytes, bench/idle.ts).
 */
export class LastDecoded<T> {
  readonly #raw: Uint8Array;
  #len = -1;
  #value: T | undefined;

  /** Remembers up to `maxBytes` bytes. */
  constructor(maxBytes: number) {
    this.#raw = new Uint8Array(maxBytes);
  }

  /** `decode(b)`, or the value it returned last time for the same bytes. */
  get(b: Uint8Array, decode: (b: Uint8Array) => T): T {
    let same = b.length === this.#len;
    for (let i = 0; same && i < b.length; i++) same = b[i] === this.#raw[i];
    if (same) return this.#value!;
    const v = decode(b);
    if (b.length <= this.#raw.length) {
      this.#raw.set(b);
      this.#len = b.length;
      this.#value = v;
    }
    return v;
  }
}

/** A cache of one decoded Addr (see {@linkcode LastDecoded}), as a Listener keeps for its accepted conns. */
export class AddrCache extends LastDecoded<Addr> {
  constructor() {
    super(sockaddrUnSize);
  }
}

const lastV4 = new LastDecoded<string>(4);
const lastV6 = new LastDecoded<string>(16);

/** Decodes a sockaddr the kernel filled in, into a frozen Addr (`cache`: reuse it for the same bytes). */
export function decodeSockaddr(b: Uint8Array, cache?: AddrCache): Addr {
  return cache === undefined ? decodeFrozen(b) : cache.get(b, decodeFrozen);
}

function decodeFrozen(b: Uint8Array): Addr {
  return Object.freeze(decode(b));
}

function decode(b: Uint8Array): Addr {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = b.length >= 2 ? dv.getUint16(0, true) : -1;
  if (family === AF_INET) {
    return { transport: "tcp", hostname: lastV4.get(b.subarray(4, 8), formatIPv4), port: dv.getUint16(2, false) };
  }
  if (family === AF_INET6) {
    return { transport: "tcp", hostname: lastV6.get(b.subarray(8, 24), formatIPv6), port: dv.getUint16(2, false) };
  }
  if (family === AF_UNIX) {
    let p = b.subarray(sunPathOffset);
    if (p[0] !== 0) {
      const nul = p.indexOf(0);
      if (nul >= 0) p = p.subarray(0, nul);
    }
    return { transport: "unix", path: new TextDecoder().decode(p) };
  }
  throw new Error(`netpoll: unknown address family ${family}`);
}
