/**
 * The stress scenarios and their two sizes: `full` for `npm run stress`
 * (the figures in docs/RELIABILITY.md), `quick` for the test suite and CI.
 * One table, so the command and the tests cannot drift apart.
 *
 * @module
 */
import { closeStorm } from "./close_storm.ts";
import { deadlineStorm } from "./deadline_storm.ts";
import { echoLoad } from "./echo_load.ts";
import { emfile } from "./emfile.ts";
import { fdReuse } from "./fd_reuse.ts";
import { peerFaults } from "./peer_faults.ts";
import type { Report } from "./report.ts";
import { signals } from "./signals.ts";
import { workers } from "./workers.ts";

/** One scenario: what it proves, and how to run it at each size. */
export interface Scenario {
  name: string;
  what: string;
  run(size: "quick" | "full", seed: number, progress?: (line: string) => void): Promise<Report>;
}

/** Every scenario, in the order the command runs them. */
export const scenarios: readonly Scenario[] = [
  {
    name: "echo-load",
    what: "connections held at once, random-sized messages both ways for a fixed time, every byte checked",
    run: (size, seed, progress) =>
      echoLoad(
        size === "full"
          ? { conns: 10_000, seconds: 20, maxMessage: 65536, seed, progress }
          : { conns: 300, seconds: 2, maxMessage: 65536, seed, progress },
      ),
  },
  {
    name: "fd-reuse",
    what: "open/close cycles with reads parked and bytes in flight; reused fd numbers see no other lane's bytes",
    run: (size, seed) =>
      fdReuse(size === "full" ? { lanes: 32, cyclesPerLane: 250, seed } : { lanes: 8, cyclesPerLane: 100, seed }),
  },
  {
    name: "close-storm",
    what: "either end closed at a random moment under parked reads and 4 MiB writes; every operation ends once",
    run: (size, seed) =>
      closeStorm(size === "full" ? { pairs: 5000, concurrency: 64, seed } : { pairs: 300, concurrency: 16, seed }),
  },
  {
    name: "deadline-storm",
    what: "deadline resets (future, past, cleared) while streams flow both ways; timed-out writes resume",
    run: (size, seed) =>
      deadlineStorm(
        size === "full"
          ? { conns: 8, resets: 100_000, bytesPerStream: 32 << 20, seed }
          : { conns: 4, resets: 10_000, bytesPerStream: 2 << 20, seed },
      ),
  },
  {
    name: "signals",
    what: "children exiting and SIGUSR2 to the process and to polling threads while reads are parked (EINTR)",
    run: (size, seed) =>
      signals(
        size === "full"
          ? { deadlineWaits: 200, dataWaits: 200, children: 200, signals: 1000, seed }
          : { deadlineWaits: 30, dataWaits: 30, children: 20, signals: 100, seed },
      ),
  },
  {
    name: "emfile",
    what: "descriptor table full: accept/connect/listen fail with EMFILE, the rest works, queued conns accepted after",
    run: (size) => emfile({ queued: size === "full" ? 100 : 10 }),
  },
  {
    name: "peer-faults",
    what: "RST mid-write, half-close, a peer that never reads (write deadline), a slow reader",
    run: (size) => peerFaults(size === "full" ? { rounds: 10, slowBytes: 4 << 20 } : { rounds: 1, slowBytes: 1 << 20 }),
  },
  {
    name: "workers",
    what: "Workers each with their own poller, running echo pairs at once with the main thread",
    run: (size) =>
      workers(size === "full" ? { workers: 4, pairs: 16, messages: 200 } : { workers: 2, pairs: 4, messages: 20 }),
  },
];
