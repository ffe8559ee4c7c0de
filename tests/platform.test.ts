// The profile's numbers against an independent source: this machine's C
// headers (glibc 2.36 / linux-libc-dev), read by gcc. Every errno name,
// epoll and socket constant, and the epoll_event layout.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { errnoCell, libc, profile } from "../src/ffi/libc.ts";
import { ErrnoError, errnoName } from "../src/ffi/errors.ts";
import { closeAll, pipe } from "./helpers.ts";

function fromHeaders(): Record<string, number> {
  const names = [
    ...Object.keys(profile.errno),
    ...Object.keys(profile.epoll!.consts),
    ...Object.keys(profile.sock),
  ];
  const c = `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
int main(void) {
  printf("{\\"sizeof_epoll_event\\": %zu, \\"offsetof_data\\": %zu", sizeof(struct epoll_event), offsetof(struct epoll_event, data));
  printf(", \\"sizeof_itimerspec\\": %zu, \\"offsetof_it_value\\": %zu", sizeof(struct itimerspec), offsetof(struct itimerspec, it_value));
${names.map((n) => `  printf(", \\"${n}\\": %lld", (long long)(${n}));`).join("\n")}
  printf("}\\n");
  return 0;
}
`;
  const dir = mkdtempSync(join(tmpdir(), "netpoll-hdr-"));
  try {
    writeFileSync(join(dir, "h.c"), c);
    const cc = spawnSync("gcc", ["-o", join(dir, "h"), join(dir, "h.c")], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
    const run = spawnSync(join(dir, "h"), [], { encoding: "utf8" });
    return JSON.parse(run.stdout) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`profile ${profile.key} against the C headers`, () => {
  const h = fromHeaders();

  test("struct epoll_event size and data offset", () => {
    expect(profile.epoll!.layout.size).toBe(h.sizeof_epoll_event);
    expect(profile.epoll!.layout.dataOffset).toBe(h.offsetof_data);
  });

  test("struct itimerspec (timerfd_settime): two 16-byte timespecs, it_value second", () => {
    expect([h.sizeof_itimerspec, h.offsetof_it_value]).toEqual([32, 16]);
  });

  test("every errno value", () => {
    for (const [name, n] of Object.entries(profile.errno)) expect([name, n]).toEqual([name, h[name]]);
  });

  test("every epoll, eventfd, timerfd and socket constant", () => {
    // EPOLLET is 1u << 31: C prints it as a positive 64-bit value, as we store it.
    for (const [name, n] of Object.entries({ ...profile.epoll!.consts, ...profile.sock })) {
      expect([name, n]).toEqual([name, h[name]]);
    }
  });
});

describe("errno", () => {
  test("read inline after each failing call, it is fresh through GC churn, tier-up and alternating errors", () => {
    const [r, w] = pipe();
    const b = new Uint8Array(8);
    const { EAGAIN, EBADF } = profile.errno as Record<string, number>;
    let garbage: unknown[] = [];
    for (let i = 0; i < 20_000; i++) {
      errnoCell[0] = 0;
      const bad = i % 2 === 0;
      const n = libc.read(bad ? -1 : r, b, 8);
      const e = errnoCell[0]!;
      if (n !== -1) throw new Error(`iteration ${i}: read returned ${n}`);
      if (e !== (bad ? EBADF : EAGAIN)) throw new Error(`iteration ${i}: errno ${e}`);
      if (i % 100 === 0) garbage = Array.from({ length: 1000 }, (_, k) => ({ k }));
    }
    expect(garbage.length).toBe(1000);
    closeAll(r, w);
  });

  test("ErrnoError names the call, the code and the number", () => {
    const e = new ErrnoError("connect", profile.errno.ECONNREFUSED!, "127.0.0.1:1");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("ErrnoError");
    expect(e.code).toBe("ECONNREFUSED");
    expect(e.syscall).toBe("connect");
    expect(e.message).toBe(`connect: ECONNREFUSED (errno ${profile.errno.ECONNREFUSED}): 127.0.0.1:1`);
    expect(errnoName(99999)).toBe("E99999");
  });
});
