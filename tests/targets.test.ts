// The kqueue and event-port tables of src/ffi/profile.ts against two
// independent sources, parsed from Debian packages (.ci/run installs them):
// Go's runtime/defs*_<os>_amd64.go (golang-1.19-src) and
// golang.org/x/sys/unix z{errors,types}_<os>_amd64.go (golang-golang-x-sys-dev).
// Each test names the package version and file it read. The models are
// built from the same table, so these checks are what catch a wrong number.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { type KeventLayout, portEventSize, type Target, targets } from "../src/ffi/profile.ts";

const goRuntime = "/usr/share/go-1.19/src/runtime";
const xsys = "/usr/share/gocode/src/golang.org/x/sys/unix";

function version(pkg: string): string | null {
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Version}", pkg], { encoding: "utf8" });
  return r.status === 0 && r.stdout !== "" ? r.stdout : null;
}
const goVer = version("golang-1.19-src");
const xsysVer = version("golang-golang-x-sys-dev");
const missing = (pkg: string) => `SKIPPED: ${pkg} is not installed (apt-get install ${pkg}; .ci/run does)`;

/** `NAME = value` constants of a Go file (hex, decimal, negative, and syscall.Errno(0x..)). */
function goConsts(file: string): Record<string, number> {
  const re = /^\s*(\w+)\s*=\s*(?:syscall\.Errno\()?(-?0x[0-9a-fA-F]+|-?\d+)\)?\s*$/gm;
  return Object.fromEntries(
    [...readFileSync(file, "utf8").matchAll(re)].map((m) => {
      const s = m[2]!;
      const neg = s.startsWith("-");
      const n = Number(neg ? s.slice(1) : s);
      return [m[1]!, neg ? -n : n];
    }),
  );
}

const goSizes: Record<string, [size: number, align: number]> = {
  int16: [2, 2],
  uint16: [2, 2],
  int32: [4, 4],
  uint32: [4, 4],
  int64: [8, 8],
  uint64: [8, 8],
  uintptr: [8, 8],
  "*byte": [8, 8],
  "[4]byte": [4, 1],
  "[4]uint64": [32, 8],
};

/** Field offsets and sizes of `type <name> struct {...}` in a Go file, laid out by Go's (= C's) alignment rules. */
function goStruct(
  file: string,
  name: string,
): { size: number; fields: Record<string, { offset: number; size: number }> } {
  const src = readFileSync(file, "utf8");
  const m = new RegExp(`type ${name} struct \\{\\n([^}]*)\\}`).exec(src);
  if (m === null) throw new Error(`no struct ${name} in ${file}`);
  let off = 0;
  let maxAlign = 1;
  const fields: Record<string, { offset: number; size: number }> = {};
  for (const line of m[1]!.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 2) continue;
    const t = goSizes[f[1]!];
    if (t === undefined) throw new Error(`${file}: ${name}.${f[0]} has type ${f[1]}, unknown to this test`);
    const [size, align] = t;
    off = Math.ceil(off / align) * align;
    fields[f[0]!.toLowerCase()] = { offset: off, size };
    off += size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { size: Math.ceil(off / maxAlign) * maxAlign, fields };
}

function layoutOf(s: ReturnType<typeof goStruct>): KeventLayout {
  const f = s.fields;
  return {
    size: s.size as KeventLayout["size"],
    wide: f.filter!.size === 4,
    filterOffset: f.filter!.offset,
    flagsOffset: f.flags!.offset,
    dataOffset: f.data!.offset,
    udataOffset: f.udata!.offset,
  };
}

const kqueueOSes = ["darwin", "freebsd", "dragonfly", "openbsd", "netbsd"] as const;

describe("kqueue and event-port tables against golang.org/x/sys", () => {
  for (const os of kqueueOSes) {
    const t: Target = targets[os];
    const errors = `${xsys}/zerrors_${os}_amd64.go`;
    const types = `${xsys}/ztypes_${os}_amd64.go`;
    test.skipIf(xsysVer === null)(
      xsysVer === null
        ? `${os}: ${missing("golang-golang-x-sys-dev")}`
        : `${os}: kevent layout, filters, flags, O_/F_ flags and errno (golang-golang-x-sys-dev ${xsysVer}: unix/zerrors_${os}_amd64.go, ztypes_${os}_amd64.go)`,
      () => {
        expect(existsSync(errors)).toBe(true);
        const c = goConsts(errors);
        const kq = t.kqueue!;
        expect(layoutOf(goStruct(types, "Kevent_t"))).toEqual(kq.layout);
        for (const [name, v] of Object.entries(kq.consts)) expect([name, v]).toEqual([name, c[name]]);
        // Where the table has no EVFILT_USER, Go uses a pipe; where x/sys has one the table must agree.
        if (kq.consts.EVFILT_USER === undefined && os !== "netbsd") expect(c.EVFILT_USER).toBeUndefined();
        for (const [name, v] of Object.entries(t.file)) expect([name, v]).toEqual([name, c[name]]);
        for (const [name, v] of Object.entries(t.errno)) expect([name, v]).toEqual([name, c[name]]);
      },
    );
  }

  test.skipIf(xsysVer === null)(
    xsysVer === null
      ? `illumos: ${missing("golang-golang-x-sys-dev")}`
      : `illumos: POLL*/PORT_*, O_/F_ flags and errno (golang-golang-x-sys-dev ${xsysVer}: unix/zerrors_solaris_amd64.go, ztypes_solaris_amd64.go)`,
    () => {
      const t = targets.illumos;
      const c = { ...goConsts(`${xsys}/zerrors_solaris_amd64.go`), ...goConsts(`${xsys}/ztypes_solaris_amd64.go`) };
      for (const [name, v] of Object.entries(t.ports!.consts)) expect([name, v]).toEqual([name, c[name]]);
      for (const [name, v] of Object.entries(t.file)) expect([name, v]).toEqual([name, c[name]]);
      for (const [name, v] of Object.entries(t.errno)) expect([name, v]).toEqual([name, c[name]]);
      // (x/sys 0.3.0 has no port_event_t; Go's runtime below has it.)
    },
  );
});

describe("kqueue and event-port tables against Go's runtime", () => {
  const files: Record<string, [defs: string, struct: string]> = {
    darwin: ["defs_darwin_amd64.go", "keventt"],
    freebsd: ["defs_freebsd_amd64.go", "keventt"],
    dragonfly: ["defs_dragonfly_amd64.go", "keventt"],
    openbsd: ["defs_openbsd_amd64.go", "keventt"],
    netbsd: ["defs1_netbsd_amd64.go", "keventt"],
  };
  for (const os of kqueueOSes) {
    const [defs, struct] = files[os]!;
    test.skipIf(goVer === null)(
      goVer === null
        ? `${os}: ${missing("golang-1.19-src")}`
        : `${os}: keventt, _EVFILT_READ/WRITE, _EV_*, _EINTR/_EAGAIN/_ETIMEDOUT (golang-1.19-src ${goVer}: runtime/${defs})`,
      () => {
        const t = targets[os];
        const kq = t.kqueue!;
        const c = goConsts(`${goRuntime}/${defs}`);
        // Go 1.19's FreeBSD keventt predates the 64-byte layout (its syscall
        // uses the freebsd11 compat symbol): the first 32 bytes must agree.
        const layout = layoutOf(goStruct(`${goRuntime}/${defs}`, struct));
        if (os === "freebsd") expect({ ...layout, size: 64 }).toEqual(kq.layout);
        else expect(layout).toEqual(kq.layout);
        for (
          const name of [
            "EVFILT_READ",
            "EVFILT_WRITE",
            "EV_ADD",
            "EV_DELETE",
            "EV_CLEAR",
            "EV_ERROR",
            "EV_EOF",
          ] as const
        ) {
          expect([name, kq.consts[name]]).toEqual([name, c[`_${name}`]]);
        }
        for (const name of ["EINTR", "EAGAIN"]) expect([name, t.errno[name]]).toEqual([name, c[`_${name}`]]);
        // Go 1.19 defines _ETIMEDOUT only where its runtime used it (darwin, freebsd).
        if (os === "darwin" || os === "freebsd") expect(t.errno.ETIMEDOUT).toBe(c._ETIMEDOUT);
      },
    );
  }

  test.skipIf(goVer === null)(
    goVer === null
      ? `illumos: ${missing("golang-1.19-src")}`
      : `illumos: portevent, _POLL*, _PORT_*, _EINTR/_EAGAIN/_EBUSY/_ETIME (golang-1.19-src ${goVer}: runtime/defs1_solaris_amd64.go)`,
    () => {
      const t = targets.illumos;
      const file = `${goRuntime}/defs1_solaris_amd64.go`;
      const c = goConsts(file);
      for (const [name, v] of Object.entries(t.ports!.consts)) {
        if (`_${name}` in c) expect([name, v]).toEqual([name, c[`_${name}`]]);
      }
      for (
        const name of [
          "POLLIN",
          "POLLOUT",
          "POLLHUP",
          "POLLERR",
          "PORT_SOURCE_FD",
          "PORT_SOURCE_ALERT",
          "PORT_ALERT_UPDATE",
        ]
      ) {
        expect(c[`_${name}`]).toBeDefined();
      }
      for (const name of ["EINTR", "EAGAIN", "EBUSY", "ETIME"]) {
        expect([name, t.errno[name]]).toEqual([name, c[`_${name}`]]);
      }
      const pe = goStruct(file, "portevent");
      expect(pe.size).toBe(portEventSize);
      // What ports.ts reads: events i32 @0, source u16 @4, object @8, user @16.
      expect(Object.entries(pe.fields).map(([n, f]) => [n, f.offset, f.size])).toEqual([
        ["portev_events", 0, 4],
        ["portev_source", 4, 2],
        ["portev_pad", 6, 2],
        ["portev_object", 8, 8],
        ["portev_user", 16, 8],
      ]);
    },
  );
});
