/**
 * connect(): shaped like `Deno.connect`.
 *
 * @module
 */
import { profile } from "../ffi/libc.ts";
import { Conn } from "./conn.ts";
import { FD } from "./fd.ts";
import { encodeInet, encodeUnix } from "./sockaddr.ts";
import { closeRaw, connectFD, hostPort, newSocket, resolveIP, sockName } from "./socket.ts";

const k = profile.sock;

/** Options for a TCP connection, as `Deno.connect`'s. *
 * @example
 * ```ts
 * import { connect, type TcpConnectOptions } from "@netpoll/netpoll";
 * const opts: TcpConnectOptions = { hostname: "localhost", port: 8080, signal: AbortSignal.timeout(2_000) };
 * (await connect(opts)).close();
 * ```
 */
export interface TcpConnectOptions {
  /** "tcp" (the default). */
  transport?: "tcp";
  /** A numeric address, "localhost", or a name for the runtime's resolver. Default "127.0.0.1". */
  hostname?: string;
  /** The port, 1 to 65535. */
  port: number;
  /** Abandons the attempt: it rejects with the signal's reason and the socket is closed. */
  signal?: AbortSignal;
}

/** Options for a Unix connection. *
 * @example
 * ```ts
 * import { connect, type UnixConnectOptions } from "@netpoll/netpoll";
 * const opts: UnixConnectOptions = { transport: "unix", path: "/tmp/app.sock" };
 * (await connect(opts)).close();
 * ```
 */
export interface UnixConnectOptions {
  /** "unix". */
  transport: "unix";
  /** The socket's path, or "\0name" for a Linux abstract socket. */
  path: string;
  /** Abandons the attempt: it rejects with the signal's reason and the socket is closed. */
  signal?: AbortSignal;
}

/**
 * Connects to a TCP address or a Unix socket. Rejects with ErrnoError
 * naming connect and the address (ECONNREFUSED, ENOENT, ...).
 *
 * @example
 * ```ts
 * import { connect } from "@netpoll/netpoll";
 * const conn = await connect({ hostname: "127.0.0.1", port: 8080 });
 * await conn.write(new TextEncoder().encode("hello"));
 * conn.close();
 * ```
 */
export async function connect(options: TcpConnectOptions | UnixConnectOptions): Promise<Conn> {
  const call = "connect";
  if (typeof options !== "object" || options === null) throw new TypeError(`${call}: options must be an object`);
  let sa: Uint8Array;
  let family: number;
  let what: string;
  if (options.transport === "unix") {
    if (typeof options.path !== "string") throw new TypeError(`${call}: path must be a string`);
    sa = encodeUnix(call, options.path);
    family = k.AF_UNIX;
    what = options.path;
  } else if (options.transport === undefined || options.transport === "tcp") {
    const port = options.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`${call}: port must be an integer from 1 to 65535, got ${String(port)}`);
    }
    const ip = await resolveIP(call, options.hostname ?? "127.0.0.1");
    sa = encodeInet(ip, port);
    family = ip.length === 16 ? k.AF_INET6 : k.AF_INET;
    what = hostPort(ip, port);
  } else {
    throw new TypeError(
      `${call}: transport must be "tcp" or "unix", got ${
        JSON.stringify((options as { transport: unknown }).transport)
      }`,
    );
  }
  const s = newSocket(call, family);
  let fd: FD;
  try {
    fd = FD.open(s, { owned: true, socket: true });
  } catch (e) {
    closeRaw(s);
    throw e;
  }
  try {
    await connectFD(fd, sa, what, options.signal);
    const local = fd.control(call, (x) => sockName(x, false));
    const remote = fd.control(call, (x) => sockName(x, true));
    return new Conn(fd, local, remote);
  } catch (e) {
    fd.close();
    throw e;
  }
}
