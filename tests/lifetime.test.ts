// Go's netpollWaiters as keep-alive: a parked waiter holds the process; open
// descriptors, armed deadlines and an idle poller thread do not.
import { describe, expect, test } from "vitest";
import { runFixture } from "./helpers.ts";

describe("process lifetime", () => {
  test("a process with open descriptors and no waiter exits by itself", async () => {
    const r = await runFixture("idle_exits.ts");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("first wait 0\ndone\n");
    expect(r.code).toBe(0);
  });

  test("a parked waiter keeps the process alive until it is woken, then it exits", async () => {
    const r = await runFixture("waiter_holds.ts");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^woke code=0 after=\d+\nexit\n$/);
    const after = Number(/after=(\d+)/.exec(r.stdout)![1]);
    expect(after).toBeGreaterThanOrEqual(290);
    expect(r.code).toBe(0);
  });

  test("unref'd listeners and conns with waits pending let the process exit", async () => {
    const r = await runFixture("unref_exits.ts");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("exited with waits pending\n");
    expect(r.code).toBe(0);
  });

  test("a ref'd conn with a read pending holds the process until the data comes", async () => {
    const r = await runFixture("ref_holds.ts");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^read 1 after=\d+\nexit\n$/);
    expect(Number(/after=(\d+)/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(190);
    expect(r.code).toBe(0);
  });
});
