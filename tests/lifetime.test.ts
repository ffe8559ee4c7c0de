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
});
