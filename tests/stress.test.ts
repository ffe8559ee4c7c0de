// The stress scenarios at CI size (stress/scenarios.ts, "quick"): each one
// passes when it saw no problem, and its key figures say nothing was lost.
// `npm run stress` runs the same scenarios at full size.
import { beforeAll, describe, expect, test } from "vitest";
import { warmUp } from "../stress/pair.ts";
import type { Report } from "../stress/report.ts";
import { scenarios } from "../stress/scenarios.ts";

const seed = 20261122;
const run = (name: string): Promise<Report> => scenarios.find((s) => s.name === name)!.run("quick", seed);

describe("stress (quick sizes)", () => {
  beforeAll(warmUp);

  test("echo load: 300 connections held at once, every byte back, none stuck", async () => {
    const r = await run("echo-load");
    expect(r.problems).toEqual([]);
    expect(r.figures.heldAtOnce).toBe(300);
    expect(r.figures.bytesLost).toBe(0);
    expect(r.figures.bytesVerified).toBeGreaterThan(0);
    expect(r.figures.stuck).toBe(0);
  }, 60_000);

  test("fd reuse: 800 open/close cycles on reused fd numbers, no cross-talk", async () => {
    const r = await run("fd-reuse");
    expect(r.problems).toEqual([]);
    expect(r.figures.cycles).toBe(800);
    expect(r.figures.fdNumbersReused).toBeGreaterThan(1000);
    expect(r.figures.crossTalk ?? 0).toBe(0);
  }, 60_000);

  test("close storm: every parked operation ends once, nothing leaks", async () => {
    const r = await run("close-storm");
    expect(r.problems).toEqual([]);
    expect(r.figures.pairs).toBe(300);
    expect(r.figures["read.ErrClosing"]).toBeGreaterThan(0);
  }, 60_000);

  test("deadline storm: 10,000 resets while data flows, 0 bytes lost", async () => {
    const r = await run("deadline-storm");
    expect(r.problems).toEqual([]);
    expect(r.figures.deadlineResets).toBe(10_000);
    expect(r.figures.bytesLost).toBe(0);
    expect(r.figures["poller.timersFired"]).toBeGreaterThan(0);
  }, 60_000);

  test("signals: EINTR in the poller thread, children exiting; waits end as they should", async () => {
    const r = await run("signals");
    expect(r.problems).toEqual([]);
    expect(r.figures.deadlinesOnTime).toBe(30);
    expect(r.figures.dataWaitsIntact).toBe(30);
    expect(r.figures.childrenExited).toBe(20);
  }, 60_000);

  test("EMFILE: accept fails naming the call, the listener recovers, queued conns accepted", async () => {
    const r = await run("emfile");
    expect(r.problems).toEqual([]);
    expect(r.figures.emfileErrors).toBe(5);
    expect(r.figures.acceptedAfterRecovery).toBe(10);
  }, 60_000);

  test("peer faults: RST mid-write, half-close, never-reads, slow reader", async () => {
    const r = await run("peer-faults");
    expect(r.problems).toEqual([]);
    expect(r.figures.halfCloses).toBe(1);
    expect(r.figures["neverReads.kernelBytesTaken"]).toBeLessThan(32 << 20);
    expect(r.figures.slowReaderBytes).toBe(1 << 20);
  }, 60_000);

  test("workers: two Workers with their own pollers beside the main thread", async () => {
    const r = await run("workers");
    expect(r.problems).toEqual([]);
    expect(r.figures.workersClean).toBe(2);
    expect(r.figures.workerMessages).toBe(160);
  }, 60_000);
});
