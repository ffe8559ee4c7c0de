// The drop-in claim: code written for Deno.listen / Deno.connect runs on
// ours by changing the import. One echo function, typed against the part of
// Deno's API it uses, run unchanged against both.
import { describe, expect, test } from "vitest";
import * as ours from "../src/mod.ts";
import { runtime } from "./helpers.ts";

// What an ordinary Deno program uses: listen, connect, accept, read, write, close, addr.
interface NetLike {
  listen(o: { hostname: string; port: number }): AsyncIterable<ConnLike> & { addr: unknown; close(): void };
  connect(o: { hostname: string; port: number }): Promise<ConnLike>;
}
interface ConnLike {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  closeWrite(): Promise<void>;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Written for Deno's API: an echo server and a client, returns what came back. */
async function echoRoundTrip(net: NetLike, message: string): Promise<string> {
  const listener = net.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as { port: number }).port;
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.readable.pipeTo(conn.writable);
      break; // leaving the loop closes the listener (Deno's behaviour)
    }
  })();
  const conn = await net.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(message));
  await conn.closeWrite();
  let out = "";
  const buf = new Uint8Array(1024);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    out += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  await serving;
  return out;
}

describe("drop-in for Deno's sockets", () => {
  test.skipIf(runtime !== "deno")(
    "one echo function, unchanged, against Deno.listen and ours (Deno only: Bun has no Deno.listen)",
    async () => {
      const deno = (globalThis as unknown as { Deno: NetLike }).Deno;
      expect(await echoRoundTrip(deno, "through Deno.listen")).toBe("through Deno.listen");
      expect(await echoRoundTrip(ours as unknown as NetLike, "through netpoll")).toBe("through netpoll");
    },
  );

  test("the same echo function against ours, on every runtime", async () => {
    expect(await echoRoundTrip(ours as unknown as NetLike, `on ${runtime}`)).toBe(`on ${runtime}`);
  });

  test("breaking out of `for await` over a listener closes it, as Deno's does", async () => {
    const l = ours.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as ours.NetAddr).port;
    const c = await ours.connect({ port });
    for await (const s of l) {
      s.close();
      break;
    }
    expect(() => l.close()).toThrow(ours.ErrClosing);
    await expect(ours.connect({ port })).rejects.toMatchObject({ code: "ECONNREFUSED" });
    c.close();
  });
});
