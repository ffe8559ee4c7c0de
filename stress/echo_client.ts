/**
 * The client half of the echo load (run as its own process by echo_load.ts,
 * so each side has its own descriptor limit): opens every connection first,
 * so all are held at once, then on each one sends random-sized messages of
 * seeded random bytes until time is up, checking that every byte comes back
 * in order. Prints one JSON line: what it sent, got back and found wrong.
 *
 *   bun stress/echo_client.ts '{"port":4000,"conns":100,"seconds":2,"seed":1,"maxMessage":65536}'
 *
 * @module
 */
import process from "node:process";
import { type Conn, connect } from "../src/mod.ts";
import { readFull } from "./pair.ts";
import { messageSize, Rng } from "./prng.ts";
import { describe } from "./report.ts";

/** What the parent passes. */
export interface ClientArgs {
  port: number;
  conns: number;
  seconds: number;
  seed: number;
  maxMessage: number;
}

/** What the client prints. */
export interface ClientResult {
  connected: number;
  messages: number;
  bytesSent: number;
  bytesVerified: number;
  mismatches: number;
  stuck: number;
  errors: string[];
  connectMs: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as ClientArgs;
const result: ClientResult = {
  connected: 0,
  messages: 0,
  bytesSent: 0,
  bytesVerified: 0,
  mismatches: 0,
  stuck: 0,
  errors: [],
  connectMs: 0,
};
const error = (what: string) => {
  if (result.errors.length < 10) result.errors.push(what);
};

// Phase 1: every connection, at most 256 dials in flight (the listen backlog).
const t0 = performance.now();
const conns: Conn[] = [];
let next = 0;
await Promise.all(Array.from({ length: 256 }, async () => {
  while (next < args.conns) {
    next++;
    try {
      conns.push(await connect({ hostname: "127.0.0.1", port: args.port }));
    } catch (e) {
      error(`connect: ${describe(e)}`);
    }
  }
}));
result.connected = conns.length;
result.connectMs = Math.round(performance.now() - t0);

// Phase 2: messages on every connection until the time is up.
const end = performance.now() + args.seconds * 1000;
let finished = 0;
async function exchange(c: Conn, lane: number): Promise<void> {
  const rng = new Rng(args.seed * 100_003 + lane);
  try {
    while (performance.now() < end) {
      const msg = rng.fill(new Uint8Array(messageSize(rng, args.maxMessage)));
      const back = new Uint8Array(msg.length);
      await Promise.all([c.write(msg), readFull(c, back, `conn ${lane}`)]);
      result.messages++;
      result.bytesSent += msg.length;
      let same = true;
      for (let i = 0; i < msg.length; i++) {
        if (msg[i] !== back[i]) {
          same = false;
          break;
        }
      }
      if (same) result.bytesVerified += msg.length;
      else {
        result.mismatches++;
        error(`conn ${lane}: message ${result.messages} came back different`);
      }
    }
    await c.closeWrite();
    const tail = await c.read(new Uint8Array(1));
    if (tail !== null) error(`conn ${lane}: bytes after the last echo`);
  } catch (e) {
    error(`conn ${lane}: ${describe(e)}`);
  } finally {
    c.close();
    finished++;
  }
}
const all = Promise.all(conns.map(exchange));
// Anything not finished 15 s after the end is stuck: report it rather than hang.
let timer: ReturnType<typeof setTimeout> | undefined;
const grace = new Promise<void>((r) => (timer = setTimeout(r, args.seconds * 1000 + 15_000)));
await Promise.race([all, grace]);
clearTimeout(timer);
result.stuck = conns.length - finished;
console.log(JSON.stringify(result));
process.exit(0);
