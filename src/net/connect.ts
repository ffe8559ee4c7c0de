/**
 * connect(): shaped like `Deno.connect`.
 *
 * @module
 */
import { Conn } from "./conn.ts";
import { checkSignal } from "./fd.ts";
import {
  badTransport,
  connectFD,
  type Endpoint,
  inetEndpoint,
  newSocket,
  resolveIP,
  socketFD,
  sockName,
  unixEndpoint,
} from "./socket.ts";

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
  const signal = checkSignal(call, options);
  let ep: Endpoint;
  if (options.transport === "unix") {
    ep = unixEndpoint(call, options.path);
  } else if (options.transport === undefined || options.transport === "tcp") {
    const port = options.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`${call}: port must be an integer from 1 to 65535, got ${String(port)}`);
    }
    ep = inetEndpoint(await resolveIP(call, options.hostname ?? "127.0.0.1"), port);
  } else {
    throw badTransport(call, options);
  }
  const { sa, family, what } = ep;
  const fd = socketFD(newSocket(call, family));
  try {
    await connectFD(fd, sa, what, signal);
    const local = fd.control(call, (x) => sockName(x, false));
    const remote = fd.control(call, (x) => sockName(x, true));
    return new Conn(fd, local, remote);
  } catch (e) {
    fd.close();
    throw e;
  }
}
