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
 * The last address decoded through it, by its bytes: every connection a
 * listener accepts has the same local address, so it is decoded once and the
 * frozen Addr shared (an idle connection's bytes, bench/idle.ts).
 */
export class AddrCache {
  readonly #raw = new Uint8Array(sockaddrUnSize);
  #len = -1;
  #addr: Addr | null = null;

  /** The cached Addr if `b` holds the same bytes, else null. */
  get(b: Uint8Array): Addr | null {
    if (b.length !== this.#len) return null;
    for (let i = 0; i < b.length; i++) if (b[i] !== this.#raw[i]) return null;
    return this.#addr;
  }

  /** Remembers `addr` as the decoding of `b`. */
  set(b: Uint8Array, addr: Addr): void {
    if (b.length > this.#raw.length) return;
    this.#raw.set(b);
    this.#len = b.length;
    this.#addr = addr;
  }
}

// The last IPv4 and IPv6 hostnames formatted: peers mostly come from a few
// hosts, and a connection then shares its hostname string instead of holding
// a new one (and, on JSC, the rope of its parts).
let lastV4 = -1;
let lastV4Name = "";
const lastV6 = new Uint8Array(16);
let lastV6Name = "";

function hostnameV4(b: Uint8Array): string {
  const key = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (key !== lastV4) {
    lastV4 = key;
    lastV4Name = formatIPv4(b);
  }
  return lastV4Name;
}

function hostnameV6(b: Uint8Array): string {
  let same = lastV6Name !== "";
  for (let i = 0; same && i < 16; i++) same = b[i] === lastV6[i];
  if (!same) {
    lastV6.set(b);
    lastV6Name = formatIPv6(b);
  }
  return lastV6Name;
}

/** Decodes a sockaddr the kernel filled in, into a frozen Addr (`cache`: reuse it for the same bytes). */
export function decodeSockaddr(b: Uint8Array, cache?: AddrCache): Addr {
  const hit = cache?.get(b);
  if (hit) return hit;
  const addr = Object.freeze(decode(b));
  cache?.set(b, addr);
  return addr;
}

function decode(b: Uint8Array): Addr {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = b.length >= 2 ? dv.getUint16(0, true) : -1;
  if (family === AF_INET) {
    return { transport: "tcp", hostname: hostnameV4(b.subarray(4, 8)), port: dv.getUint16(2, false) };
  }
  if (family === AF_INET6) {
    return { transport: "tcp", hostname: hostnameV6(b.subarray(8, 24)), port: dv.getUint16(2, false) };
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
