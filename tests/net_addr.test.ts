// Address text and sockaddr layouts: parsing and formatting IPs, and the
// hand-laid sockaddr structs checked against this machine's C headers.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../src/net/ip.ts";
import {
  decodeSockaddr,
  encodeInet,
  encodeUnix,
  sockaddrIn6Size,
  sockaddrInSize,
  sockaddrUnSize,
} from "../src/net/sockaddr.ts";

describe("IP text", () => {
  test("IPv4 parses strictly", () => {
    expect(parseIPv4("127.0.0.1")).toEqual(new Uint8Array([127, 0, 0, 1]));
    expect(parseIPv4("255.255.255.255")).toEqual(new Uint8Array([255, 255, 255, 255]));
    for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "", " 1.2.3.4"]) {
      expect([bad, parseIPv4(bad)]).toEqual([bad, null]);
    }
  });

  test("IPv6 parses every form and formats canonically (RFC 5952)", () => {
    const cases: [string, string][] = [
      ["::1", "::1"],
      ["::", "::"],
      ["0:0:0:0:0:0:0:1", "::1"],
      ["FE80::0001", "fe80::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:db8::", "2001:db8::"],
      ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
      ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
      ["::ffff:1.2.3.4", "::ffff:102:304"],
    ];
    for (const [text, canon] of cases) {
      const b = parseIPv6(text);
      expect([text, b === null ? null : formatIPv6(b)]).toEqual([text, canon]);
    }
    for (const bad of ["1:::2", "1::2::3", "12345::", ":1", "1:2:3:4:5:6:7:8:9", "::g", "fe80::1%lo", "1.2.3.4"]) {
      expect([bad, parseIPv6(bad)]).toEqual([bad, null]);
    }
  });

  test("round trips through sockaddr", () => {
    expect(decodeSockaddr(encodeInet(parseIPv4("10.1.2.3")!, 443))).toEqual({
      transport: "tcp",
      hostname: "10.1.2.3",
      port: 443,
    });
    expect(decodeSockaddr(encodeInet(parseIPv6("::1")!, 65535))).toEqual({
      transport: "tcp",
      hostname: "::1",
      port: 65535,
    });
    expect(decodeSockaddr(encodeUnix("t", "/tmp/x.sock"))).toEqual({ transport: "unix", path: "/tmp/x.sock" });
    expect(decodeSockaddr(encodeUnix("t", "\0abstract"))).toEqual({ transport: "unix", path: "\0abstract" });
    expect(formatIPv4(new Uint8Array([1, 2, 3, 4]))).toBe("1.2.3.4");
  });

  test("Unix paths: length limits and NUL bytes are errors naming the call", () => {
    expect(encodeUnix("t", "x".repeat(107)).length).toBe(2 + 107 + 1);
    expect(() => encodeUnix("bind", "x".repeat(108))).toThrow(
      /bind: a Unix socket path must be 1 to 107 bytes, got 108/,
    );
    expect(encodeUnix("t", `\0${"x".repeat(107)}`).length).toBe(110); // abstract: all 108 bytes usable
    expect(() => encodeUnix("t", "a\0b")).toThrow(/contains a NUL byte/);
  });
});

describe("sockaddr layouts against the C headers", () => {
  test("sizes and field offsets of sockaddr_in, sockaddr_in6, sockaddr_un", () => {
    const c = `#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/un.h>
int main(void) {
  printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu\\n",
    sizeof(struct sockaddr_in), offsetof(struct sockaddr_in, sin_port), offsetof(struct sockaddr_in, sin_addr),
    sizeof(struct sockaddr_in6), offsetof(struct sockaddr_in6, sin6_port), offsetof(struct sockaddr_in6, sin6_addr),
    offsetof(struct sockaddr_in6, sin6_scope_id), sizeof(struct sockaddr_un), offsetof(struct sockaddr_un, sun_path));
  return 0;
}
`;
    const dir = mkdtempSync(join(tmpdir(), "netpoll-sa-"));
    try {
      writeFileSync(join(dir, "sa.c"), c);
      const cc = spawnSync("gcc", ["-o", join(dir, "sa"), join(dir, "sa.c")], { encoding: "utf8" });
      expect(cc.stderr).toBe("");
      const got = spawnSync(join(dir, "sa"), [], { encoding: "utf8" }).stdout.trim().split(" ").map(Number);
      // Ours: in: 16 bytes, port @2, addr @4; in6: 28, port @2, addr @8, scope @24; un: 110, path @2.
      expect(got).toEqual([sockaddrInSize, 2, 4, sockaddrIn6Size, 2, 8, 24, sockaddrUnSize, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
