/**
 * Conn: a connected stream socket shaped like `Deno.Conn`, with Go's
 * deadlines and a per-operation AbortSignal.
 *
 * @module
 */
import { ErrnoError } from "../ffi/errors.ts";
import { errnoCell, libc, profile } from "../ffi/libc.ts";
import { ErrClosing } from "./errors.ts";
import type { FD, OnData, OpOptions } from "./fd.ts";
import { FDHandle } from "./handle.ts";
import type { Addr } from "./sockaddr.ts";
import { setIntOpt } from "./socket.ts";

const k = profile.sock;

/** Bytes a `readable` stream asks for per read. */
const streamChunk = 64 * 1024;

/**
 * A connected TCP or Unix stream socket.
 *
 * @example
 * ```ts
 * import { connect } from "@netpoll/netpoll";
 * const conn = await connect({ hostname: "127.0.0.1", port: 8080 });
 * await conn.write(new TextEncoder().encode("ping"));
 * conn.setReadDeadline(Date.now() + 1000);
 * const buf = new Uint8Array(1024);
 * const n = await conn.read(buf); // null at end of stream
 * conn.close();
 * ```
 */
export class Conn extends FDHandle implements Disposable {
  /** This end's address. */
  readonly localAddr: Addr;
  /** The peer's address. */
  readonly remoteAddr: Addr;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;
  // When the readable has seen end of stream and the writable has been
  // closed, nothing can use the conn any more: it is closed, so the canonical
  // `conn.readable.pipeTo(conn.writable)` echo frees its descriptor.
  #readEnded = false;
  #writeEnded = false;

  /** @internal Made by connect() and Listener.accept(). */
  constructor(fd: FD, localAddr: Addr, remoteAddr: Addr) {
    super(fd);
    this.localAddr = localAddr;
    this.remoteAddr = remoteAddr;
  }

  /**
   * Reads into `p`: the byte count, or null at end of stream. Rejects with
   * ErrDeadlineExceeded past the read deadline, ErrClosing if the conn is
   * closed meanwhile, the signal's reason if aborted, ErrnoError (ECONNRESET, ...).
   */
  read(p: Uint8Array, opts?: OpOptions): Promise<number | null> {
    return this.fdh.read(p, opts, true);
  }

  /**
   * Writes all of `p`; resolves with p.length. A vanished peer is ErrnoError
   * EPIPE or ECONNRESET, never a signal. If it fails part-way (deadline,
   * close, peer reset), the error's `bytesWritten` says how much of `p` went
   * out, so a retry can resume there. An abort rejects with the signal's own
   * reason, which carries no count: use a write deadline where that matters.
   */
  write(p: Uint8Array, opts?: OpOptions): Promise<number> {
    return this.fdh.write(p, opts);
  }

  /**
   * Reads into `p` until end of stream, calling `onData(n)` with each read's
   * byte count, from inside the poll that found the data: no promise per
   * read (Bun.listen's `data` callback, with your buffer). `p` is reused by
   * the next read; return a promise from `onData` (a write of `p` that had to
   * wait) and the next read waits for it. Resolves at end of stream, rejects
   * with the first error: ErrDeadlineExceeded past the read deadline,
   * ErrClosing if the conn is closed meanwhile (also by `onData`), the
   * signal's reason, an ErrnoError, or what `onData` threw. Other reads wait
   * until it has ended, and so does close() before it releases the
   * descriptor: a promise from `onData` that never settles keeps it open.
   *
   * @example
   * ```ts
   * import { listen } from "@netpoll/netpoll";
   * const l = listen({ hostname: "127.0.0.1", port: 8080 });
   * for await (const conn of l) {
   *   const buf = new Uint8Array(64 * 1024);
   *   // An echo: send what the socket takes now, the rest with write(), which the next read waits for.
   *   conn.readEach(buf, (n) => {
   *     const sent = conn.tryWrite(buf, n);
   *     if (sent < n) return conn.write(buf.subarray(sent, n));
   *   }).catch(() => {}).finally(() => conn.close());
   * }
   * ```
   */
  readEach(p: Uint8Array, onData: OnData, opts?: OpOptions): Promise<void> {
    return this.fdh.readEach(p, onData, opts);
  }

  /**
   * Sends as much of `p` (its first `n` bytes, if given) as the socket takes
   * now, without waiting: the bytes sent, 0 if it takes none now (its buffer
   * is full, or a write() is still sending, whose bytes go first). Bun's
   * `socket.write`; send the rest with write(). Throws ErrClosing once
   * closed, ErrDeadlineExceeded past the write deadline, ErrnoError (EPIPE,
   * ECONNRESET), a RangeError for an `n` outside 0..p.length.
   *
   * @example
   * ```ts
   * import { connect } from "@netpoll/netpoll";
   * const conn = await connect({ hostname: "127.0.0.1", port: 8080 });
   * const msg = new TextEncoder().encode("ping");
   * const sent = conn.tryWrite(msg);
   * if (sent < msg.length) await conn.write(msg.subarray(sent));
   * ```
   */
  tryWrite(p: Uint8Array, n?: number): number {
    return this.fdh.tryWrite(p, n);
  }

  /** Closes the conn; parked reads and writes reject with ErrClosing. A second close throws ErrClosing. */
  close(): void {
    this.fdh.close();
  }

  /** Settles once the conn is closed and its descriptor released (after in-flight operations returned). */
  get closed(): Promise<void> {
    return this.fdh.closed;
  }

  /** Shuts down the sending side: the peer reads end of stream; this end can still read. */
  closeWrite(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.fdh.control("closeWrite", (s) => {
        if (libc.shutdown(s, k.SHUT_WR) < 0) throw new ErrnoError("shutdown", errnoCell[0]!);
      });
      resolve();
    });
  }

  /** Disables (default) or enables Nagle's algorithm (TCP only). */
  setNoDelay(noDelay = true): void {
    this.fdh.control("setNoDelay", (s) => setIntOpt(s, k.IPPROTO_TCP, k.TCP_NODELAY, noDelay ? 1 : 0, "TCP_NODELAY"));
  }

  /** Enables (default) or disables TCP keep-alive probes. */
  setKeepAlive(keepAlive = true): void {
    this.fdh.control(
      "setKeepAlive",
      (s) => setIntOpt(s, k.SOL_SOCKET, k.SO_KEEPALIVE, keepAlive ? 1 : 0, "SO_KEEPALIVE"),
    );
  }

  /** The bytes the peer sends, as a web stream; cancelling it closes the conn. */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const buf = new Uint8Array(streamChunk);
        const n = await this.read(buf);
        if (n !== null) {
          c.enqueue(buf.subarray(0, n));
          return;
        }
        c.close();
        this.#readEnded = true;
        if (this.#writeEnded) this.#closeQuietly();
      },
      cancel: () => this.#closeQuietly(),
    }, { highWaterMark: 0 });
    return this.#readable;
  }

  /**
   * A web stream into the conn; each chunk is written whole before the next
   * (backpressure). Closing it shuts down writing; once `readable` has also
   * ended, the conn is closed.
   */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: async () => {
        await this.closeWrite();
        this.#writeEnded = true;
        if (this.#readEnded) this.#closeQuietly();
      },
      abort: () => this.#closeQuietly(),
    });
    return this.#writable;
  }

  #closeQuietly(): void {
    try {
      this.close();
    } catch (e) {
      if (!(e instanceof ErrClosing)) throw e;
    }
  }

  /** Closes the conn (for `using`). */
  [Symbol.dispose](): void {
    this.#closeQuietly();
  }
}
