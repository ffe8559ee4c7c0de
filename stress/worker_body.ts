/**
 * One Worker of the Workers scenario: its own poller (the library is
 * loaded afresh in every isolate) running the echo workload, then shut down
 * cleanly. Posts its Report.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { netpollShutdown, netpollStats } from "../src/mod.ts";
import { echoPairs, type EchoPairsOptions } from "./echo_pairs.ts";
import { describe, Recorder } from "./report.ts";

const o = workerData as EchoPairsOptions;
const rec = new Recorder(`worker ${o.seed}`, { countFds: false });
try {
  await echoPairs(rec, o);
} catch (e) {
  rec.problem(describe(e));
}
const report = rec.finish();
report.figures.ownBlockingPolls = netpollStats().blockingPolls;
try {
  await netpollShutdown(); // the poller thread of this isolate exits
} catch (e) {
  report.problems.push(`netpollShutdown: ${describe(e)}`);
}
parentPort!.postMessage(report);
