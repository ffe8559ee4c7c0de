/**
 * Listener and listen(): shaped like `Deno.Listener` / `Deno.listen`.
 *
 * @module
 */
import { ErrnoError } from "../ffi/errors.ts";
import { errnoCell, libc, profile } from "../ffi/libc.ts";
import { Conn } from "./conn.ts";
import { ErrClosing } from "./errors.ts";
import { FD, type OpOptions } from "./fd.ts";
import { FDHandle } from "./handle.ts";
import { type Addr, AddrCache, decodeSockaddr } from "./sockaddr.ts";
import {
  badTransport,
  bindTo,
  closeRaw,
  type Endpoint,
  inetEndpoint,
  newSocket,
  numericIP,
  setIntOpt,
  socketFD,
  sockName,
  unixEndpoint,
} from "./socket.ts";

const k = profile.sock;

/** Options for a TCP listener, as `Deno.listen`'s. *
 * @example
 * ```ts
 * import { listen, type TcpListenOptions } from "@netpoll/netpoll";
 * const opts: TcpListenOptions = { hostname: "::1", port: 0, reusePort: true };
 * listen(opts).close();
 * ```
 */
export interface TcpListenOptions {
  /** "tcp" (the default). */
  transport?: "tcp";
  /** A numeric address or "localhost". Default "0.0.0.0". */
  hostname?: string;
  /** 0 picks a free port. */
  port: number;
  /** The accept queue length (default 4096, capped by the kernel's somaxconn). */
  backlog?: number;
  /** SO_REUSEPORT: several listeners on one port share its connections. */
  reusePort?: boolean;
}

/** Options for a Unix listener. *
 * @example
 * ```ts
 * import { listen, type UnixListenOptions } from "@netpoll/netpoll";
 * const opts: UnixListenOptions = { transport: "unix", path: "\\0my-abstract-name" };
 * listen(opts).close();
 * ```
 */
export interface UnixListenOptions {
  /** "unix". */
  transport: "unix";
  /** A filesystem path (must not exist; it is removed on close), or "\0name" for an abstract socket. */
  path: string;
  /** The accept queue length (default 4096, capped by the kernel's somaxconn). */
  backlog?: number;
}

/** The address of a Unix peer that did not bind a name; one frozen object for all. */
const unnamedPeer: Addr = Object.freeze({ transport: "unix", path: "" });

/**
 * A listening socket. Iterate it, or call accept().
 *
 * @example
 * ```ts
 * import { listen } from "@netpoll/netpoll";
 * const listener = listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr); // { transport: "tcp", hostname: "127.0.0.1", port: 41234 }
 * for await (const conn of listener) {
 *   conn.readable.pipeTo(conn.writable); // echo
 * }
 * ```
 */
export class Listener extends FDHandle implements AsyncIterable<Conn>, Disposable {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: Addr;
  readonly #unlinkPath: Uint8Array | null;

  /** Accepted conns' local address, decoded once (they all share it unless the listener is on a wildcard). */
  readonly #localAddrs = new AddrCache();

  /** @internal Made by listen(). */
  constructor(fd: FD, addr: Addr, unlinkPath: Uint8Array | null) {
    super(fd);
    this.addr = addr;
    this.#unlinkPath = unlinkPath;
  }

  /**
   * Waits for and returns the next connection. Rejects with ErrClosing after
   * close, ErrnoError for EMFILE/ENFILE (the listener stays usable: retry once
   * descriptors are freed).
   */
  async accept(opts?: OpOptions): Promise<Conn> {
    const { fd: s, addr } = await this.fdh.accept(opts);
    const fd = socketFD(s);
    const remote = addr.length > 2 ? decodeSockaddr(addr) : unnamedPeer;
    return new Conn(fd, fd.control("accept", (x) => sockName(x, false, this.#localAddrs)), remote);
  }

  /**
   * Yields connections until the listener is closed. Leaving the loop early
   * (break, return, throw) closes the listener, as Deno's does, so code
   * written for `Deno.listen` behaves the same.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Conn> {
    try {
      for (;;) {
        let c: Conn;
        try {
          c = await this.accept();
        } catch (e) {
          if (e instanceof ErrClosing) return;
          throw e;
        }
        yield c;
      }
    } finally {
      if (!this.fdh.closing) this.close();
    }
  }

  /** Stops listening; a pending accept rejects with ErrClosing. A Unix socket file it created is removed. */
  close(): void {
    this.fdh.close();
    const path = this.#unlinkPath;
    if (path !== null) void this.fdh.closed.then(() => libc.unlink(path));
  }

  /** Closes the listener (for `using`). */
  [Symbol.dispose](): void {
    try {
      this.close();
    } catch (e) {
      if (!(e instanceof ErrClosing)) throw e;
    }
  }
}

function checkPort(call: string, port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${call}: port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  return port;
}

function checkBacklog(call: string, backlog: number | undefined): number {
  if (backlog === undefined) return 4096;
  if (!Number.isInteger(backlog) || backlog < 0) {
    throw new RangeError(`${call}: backlog must be a non-negative integer, got ${String(backlog)}`);
  }
  return Math.min(backlog, 2 ** 31 - 1);
}

/**
 * Listens on a TCP address or a Unix socket, as `Deno.listen`. Throws
 * ErrnoError naming bind/listen and the address (EADDRINUSE, EACCES, ...).
 *
 * @example
 * ```ts
 * import { listen } from "@netpoll/netpoll";
 * const tcp = listen({ hostname: "127.0.0.1", port: 0 });
 * const unix = listen({ transport: "unix", path: "/tmp/app.sock" });
 * tcp.close();
 * unix.close();
 * ```
 */
export function listen(options: TcpListenOptions | UnixListenOptions): Listener {
  const call = "listen";
  if (typeof options !== "object" || options === null) throw new TypeError(`${call}: options must be an object`);
  const backlog = checkBacklog(call, options.backlog);
  let ep: Endpoint;
  let unlinkPath: Uint8Array | null = null;
  if (options.transport === "unix") {
    ep = unixEndpoint(call, options.path);
    if (options.path[0] !== "\0") unlinkPath = new TextEncoder().encode(`${options.path}\0`);
  } else if (options.transport === undefined || options.transport === "tcp") {
    const port = checkPort(call, options.port);
    const host = options.hostname ?? "0.0.0.0";
    if (typeof host !== "string") throw new TypeError(`${call}: hostname must be a string, got ${typeof host}`);
    const ip = numericIP(host);
    if (ip === null) {
      throw new TypeError(`${call}: hostname must be a numeric address or "localhost", got ${JSON.stringify(host)}`);
    }
    ep = inetEndpoint(ip, port);
  } else {
    throw badTransport(call, options);
  }
  const { sa, family, what } = ep;
  const s = newSocket(call, family);
  try {
    if (family !== k.AF_UNIX) {
      setIntOpt(s, k.SOL_SOCKET, k.SO_REUSEADDR, 1, "SO_REUSEADDR");
      if ((options as TcpListenOptions).reusePort === true) {
        setIntOpt(s, k.SOL_SOCKET, k.SO_REUSEPORT, 1, "SO_REUSEPORT");
      }
    }
    bindTo(s, sa, what);
    if (libc.listen(s, backlog) < 0) throw new ErrnoError("listen", errnoCell[0]!, what);
    const fd = FD.open(s, { owned: true, socket: true });
    return new Listener(fd, sockName(s, false), unlinkPath);
  } catch (e) {
    closeRaw(s);
    throw e;
  }
}
