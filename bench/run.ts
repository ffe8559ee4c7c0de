// The benchmark against the runtimes' builtins: the README's main job.
//
//   bun bench/run.ts            full run (~10 min): 5 configs x 8 servers, 2 s windows, netpoll (Conn
//                               and readEach) and the builtin 5 times each, idle memory (server RSS,
//                               and the library's own heap: bench/idle.ts), deadline lateness,
//                               microbenchmarks
//   bun bench/run.ts --quick    under 2 min: short windows, one of each, 2,000 idle connections, no
//                               microbenchmarks
//   options: --duration=S --warmup=S --repeats=N --idle=N --only=bun|deno
//
// Servers run on CPU 0 and the C load generator on CPU 1 (taskset), a fresh
// server per window. Every figure is reported as a ratio to the same
// runtime's builtin (Bun.listen, Deno.listen) measured in the same run.
//
// Repeats are paired: netpoll's window r runs right before the builtin's
// window r and netpoll readEach's right after, and each ratio reported is
// the median of the per-pair ratios.
// On this 2-core VM one server's throughput drifts by 10-30% over a minute
// (docs/PERFORMANCE.md), so two windows minutes apart measured the machine
// as much as the servers; adjacent windows share most of the drift.
// Writes bench/results/REPORT.md, results.json and chart.svg.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import process from "node:process";

const root = new URL("..", import.meta.url).pathname;
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const quick = process.argv.includes("--quick");
const duration = Number(arg("duration") ?? (quick ? 1.2 : 2));
const warmup = Number(arg("warmup") ?? (quick ? 0.4 : 1));
// How many windows netpoll (both servers) and the builtin get per configuration; the other servers get one.
const repeats = Number(arg("repeats") ?? (quick ? 1 : 5));
if (!Number.isInteger(repeats) || repeats < 1) {
  throw new RangeError(`--repeats must be a whole number ≥ 1, got ${arg("repeats")}`);
}
const idleConns = Number(arg("idle") ?? (quick ? 2000 : 10000));
const only = arg("only");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const outDir = join(root, "bench", "results");
mkdirSync(outDir, { recursive: true });

// ---- the load generator ----
const loadgen = join(root, ".cache", "bench", "loadgen");
const src = join(root, "bench", "loadgen.c");
if (!existsSync(loadgen) || statSync(loadgen).mtimeMs < statSync(src).mtimeMs) {
  mkdirSync(join(root, ".cache", "bench"), { recursive: true });
  const cc = spawnSync("gcc", ["-O2", "-Wall", "-o", loadgen, src], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(`building the load generator failed (is gcc installed?):\n${cc.stderr}`);
}
const cpus = os.cpus().length;
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
const pin = (cpu: number, argv: string[]) => (hasTaskset && cpus >= 2 ? ["taskset", "-c", String(cpu), ...argv] : argv);
// 10,000 idle connections need more descriptors than the default 1024 on both sides.
const withFds = (
  argv: string[],
) => ["sh", "-c", 'ulimit -n 65536 2>/dev/null || ulimit -n 16384; exec "$@"', "sh", ...argv];

// ---- servers ----
interface Server {
  name: string;
  runtime: "bun" | "deno";
  reference: boolean;
  argv: string[];
}
const s = (f: string) => join(root, "bench", "servers", f);
// The same library through Conn.readEach + tryWrite (no promise per round
// trip, the shape of the Bun.listen server); paired with the builtin too.
const each = "netpoll readEach";
const servers: Server[] = [
  { name: "netpoll", runtime: "bun", reference: false, argv: [bin("bun"), s("netpoll.ts")] },
  { name: "Bun.listen", runtime: "bun", reference: true, argv: [bin("bun"), s("bun_listen.ts")] },
  { name: each, runtime: "bun", reference: false, argv: [bin("bun"), s("netpoll_each.ts")] },
  { name: "node:net", runtime: "bun", reference: false, argv: [bin("bun"), s("node_net.ts")] },
  { name: "netpoll", runtime: "deno", reference: false, argv: [bin("deno"), "run", "--allow-ffi", s("netpoll.ts")] },
  {
    name: "Deno.listen",
    runtime: "deno",
    reference: true,
    argv: [bin("deno"), "run", "--allow-net", s("deno_listen.ts")],
  },
  { name: each, runtime: "deno", reference: false, argv: [bin("deno"), "run", "--allow-ffi", s("netpoll_each.ts")] },
  {
    name: "node:net",
    runtime: "deno",
    reference: false,
    argv: [bin("deno"), "run", "--allow-net", "--allow-env", s("node_net.ts")],
  },
].filter((x) => only === undefined || x.runtime === only) as Server[];

interface Config {
  key: string;
  label: string;
  conns: number;
  size: number;
  depth: number;
}
const configs: Config[] = [
  { key: "c1", label: "1 conn, 64 B (latency)", conns: 1, size: 64, depth: 1 },
  { key: "c64", label: "64 conns, 64 B", conns: 64, size: 64, depth: 1 },
  { key: "c1000", label: "1000 conns, 64 B", conns: 1000, size: 64, depth: 1 },
  { key: "c64big", label: "64 conns, 16 KiB", conns: 64, size: 16384, depth: 1 },
  { key: "c64pipe", label: "64 conns, 64 B, pipelined 16 deep", conns: 64, size: 64, depth: 16 },
];

function startServer(sv: Server): Promise<{ child: ChildProcess; port: number }> {
  const argv = withFds(pin(0, sv.argv));
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${sv.name} on ${sv.runtime} did not start in 20 s: ${out}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${sv.name} on ${sv.runtime} exited (${code}) before it was ready: ${out}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await exited;
}

interface LoadResult {
  rps: number;
  p50us: number;
  p99us: number;
  p999us: number;
  fairness: number;
  minPerConn: number;
  maxPerConn: number;
  serverCpuUsPerRoundTrip: number;
  stalled: number;
  error?: string;
}

function runLoad(port: number, pid: number, c: Config): Promise<LoadResult> {
  const argv = withFds(pin(1, [
    loadgen,
    "--port",
    String(port),
    "--conns",
    String(c.conns),
    "--size",
    String(c.size),
    "--depth",
    String(c.depth),
    "--warmup",
    String(warmup),
    "--duration",
    String(duration),
    "--pid",
    String(pid),
  ]));
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const limit = setTimeout(() => child.kill("SIGKILL"), (warmup + duration + 60) * 1000);
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => { // "close": after stdout and stderr have ended, so no output is lost
      clearTimeout(limit);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve({ ...(JSON.parse(line) as LoadResult), ...(code !== 0 ? { error: err.trim() } : {}) });
      else {resolve({
          rps: 0,
          p50us: 0,
          p99us: 0,
          p999us: 0,
          fairness: 0,
          minPerConn: 0,
          maxPerConn: 0,
          serverCpuUsPerRoundTrip: 0,
          stalled: 0,
          error: err.trim() || `exit ${code}`,
        });}
    });
  });
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** Server RSS growth per idle connection, in bytes. */
async function idleBytes(port: number, pid: number): Promise<number | string> {
  const before = rssKiB(pid);
  const argv = withFds(pin(1, [loadgen, "--port", String(port), "--idle", String(idleConns)]));
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const ready = await new Promise<boolean>((resolve) => {
    const limit = setTimeout(() => resolve(false), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("IDLE_READY")) {
        clearTimeout(limit);
        resolve(true);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", () => {
      clearTimeout(limit);
      resolve(false);
    });
  });
  await new Promise((r) => setTimeout(r, 500)); // let the server settle after the last round trip
  const after = rssKiB(pid);
  child.stdin!.end();
  await stop(child);
  if (!ready) return `failed: ${err.trim() || "no IDLE_READY"}`;
  return ((after - before) * 1024) / idleConns;
}

type Lateness = { p50: number; p99: number; max: number; p99Range: [number, number] };
function deadlines(runtime: "bun" | "deno"): Record<string, Lateness> | string {
  const argv = runtime === "bun"
    ? [bin("bun"), join(root, "bench", "deadline.ts")]
    : [bin("deno"), "run", "--allow-ffi", join(root, "bench", "deadline.ts")];
  const r = spawnSync(argv[0]!, [...argv.slice(1), `--n=${quick ? 100 : 300}`], { encoding: "utf8", timeout: 120_000 });
  const line = r.stdout?.split("\n").find((l) => l.startsWith("{"));
  return line ? (JSON.parse(line) as { lateMs: Record<string, Lateness> }).lateMs : `failed: ${r.stderr}`;
}

/** The library's own heap bytes per idle connection (bench/idle.ts), apart from the app's read buffer. */
function libraryBytes(runtime: "bun" | "deno"): number | string {
  const script = join(root, "bench", "idle.ts");
  const argv = runtime === "bun" ? [bin("bun"), script] : [bin("deno"), "run", "-A", "--v8-flags=--expose-gc", script];
  const full = withFds([...argv, `--n=${idleConns}`]);
  const r = spawnSync(full[0]!, full.slice(1), { encoding: "utf8", timeout: 180_000 });
  const line = r.stdout?.split("\n").find((l) => l.startsWith("{"));
  return line ? (JSON.parse(line) as { bytesPerConn: number }).bytesPerConn : `failed: ${r.stderr.trim()}`;
}

// ---- run ----
// results: the window with the median round trips/s, for the figures shown;
// runs: every window, in repeat order, for the paired ratios.
type Row = {
  server: Server;
  results: Record<string, LoadResult>;
  runs: Record<string, LoadResult[]>;
  idle?: number | string;
};
const rows: Row[] = servers.map((server) => ({ server, results: {}, runs: {} }));
const t0 = performance.now();
const paired = (row: Row) => row.server.reference || row.server.name === "netpoll" || row.server.name === each;
const timesOf = (row: Row) => (paired(row) ? repeats : 1);
const total = configs.length * rows.reduce((a, r) => a + timesOf(r), 0) + servers.length;
let step = 0;
const progress = (what: string) =>
  console.log(
    `[${String(++step).padStart(2)}/${total}] ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${what}`,
  );

console.log(
  `netpoll benchmark: ${
    quick ? "quick" : "full"
  } run, ${warmup} s warm-up + ${duration} s per window, ${repeats} repeat(s)`,
);
console.log(
  `server on CPU 0, load generator on CPU 1${
    hasTaskset && cpus >= 2 ? "" : " (NOT pinned: taskset or a 2nd CPU is missing)"
  }\n`,
);
// Rows run in order per runtime (netpoll, builtin, netpoll readEach, then
// the others), so within a repeat both netpoll windows sit next to the
// builtin's.
for (const c of configs) {
  for (let r = 0; r < repeats; r++) {
    for (const row of rows) {
      if (r >= timesOf(row)) continue;
      const { child, port } = await startServer(row.server);
      const x = await runLoad(port, child.pid!, c);
      await stop(child);
      (row.runs[c.key] ??= []).push(x);
      progress(
        `${c.label.padEnd(34)} ${row.server.runtime.padEnd(4)} ${row.server.name.padEnd(12)} ${
          x.error && !x.rps
            ? `ERROR ${x.error}`
            : `${Math.round(x.rps).toString().padStart(7)} rt/s  p50 ${x.p50us.toFixed(0)} µs  p99 ${
              x.p99us.toFixed(0)
            } µs${x.stalled ? `  ${x.stalled} STALLED` : ""}`
        }`,
      );
    }
  }
  for (const row of rows) row.results[c.key] = median(row.runs[c.key]!, (x) => x.rps);
}
for (const row of rows) {
  const { child, port } = await startServer(row.server);
  row.idle = await idleBytes(port, child.pid!);
  await stop(child);
  progress(
    `idle memory, ${idleConns} conns       ${row.server.runtime.padEnd(4)} ${row.server.name.padEnd(12)} ${
      typeof row.idle === "number" ? `${Math.round(row.idle)} B/conn` : row.idle
    }`,
  );
}
const libBytes: Record<string, number | string> = {};
for (const rt of ["bun", "deno"] as const) {
  if (only !== undefined && only !== rt) continue;
  libBytes[rt] = libraryBytes(rt);
  console.log(`library bytes per idle conn on ${rt}: ${libBytes[rt]}`);
}
const lateness: Record<string, ReturnType<typeof deadlines>> = {};
for (const rt of ["bun", "deno"] as const) {
  if (only !== undefined && only !== rt) continue;
  console.log(`deadline lateness on ${rt}...`);
  lateness[rt] = deadlines(rt);
}

function micro(runtime: "bun" | "deno"): string {
  const argv = runtime === "bun"
    ? [bin("bun"), join(root, "bench", "micro.ts")]
    : [bin("deno"), "run", "--allow-ffi", "--allow-env", join(root, "bench", "micro.ts")];
  const r = spawnSync(argv[0]!, [...argv.slice(1), "--markdown"], {
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return r.status === 0 ? r.stdout.trim() : `microbenchmarks failed: ${r.stderr}`;
}
const micros: Record<string, string> = {};
for (const rt of ["bun", "deno"] as const) {
  // --quick stays under 2 minutes by leaving these out; `npm run bench:micro` runs them alone.
  if (quick || (only !== undefined && only !== rt)) continue;
  console.log(`microbenchmarks on ${rt}...`);
  micros[rt] = micro(rt);
}

/** The element whose `key` is the median (the upper one of an even count). */
function median<T>(xs: T[], key: (x: T) => number): T {
  return [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
}

/**
 * netpoll's figure over the builtin's, as the median of the per-repeat
 * ratios, with their range when there are several; null if any is undefined.
 */
function pairedRatio(
  ours: LoadResult[],
  ref: LoadResult[],
  get: (r: LoadResult) => number,
): { mid: number; lo: number; hi: number; n: number } | null {
  const rs = ours.map((a, i) => get(a) / get(ref[i]!)).filter((x) => Number.isFinite(x));
  if (rs.length === 0 || rs.length < ours.length) return null;
  rs.sort((a, b) => a - b);
  return { mid: median(rs, (x) => x), lo: rs[0]!, hi: rs.at(-1)!, n: rs.length };
}

// ---- report ----
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "—");
const pairedText = (p: ReturnType<typeof pairedRatio>) =>
  p === null ? "—" : `${p.mid.toFixed(2)}×${p.n > 1 ? ` (${p.lo.toFixed(2)}-${p.hi.toFixed(2)})` : ""}`;
const lines: string[] = [];
const versions = {
  bun: spawnSync(bin("bun"), ["--version"], { encoding: "utf8" }).stdout.trim(),
  deno: spawnSync(bin("deno"), ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]!.trim(),
};
const machine = `${os.cpus()[0]?.model ?? "cpu"} × ${cpus}, ${
  Math.round(os.totalmem() / 2 ** 30)
} GiB, Linux ${os.release()}`;
const command = `bun bench/run.ts ${process.argv.slice(2).join(" ")}`.trim();
lines.push(`# Benchmark: netpoll against the runtimes' builtins`, "");
lines.push(
  `${
    new Date().toISOString().slice(0, 16).replace("T", " ")
  } UTC · ${machine} · Bun ${versions.bun} · ${versions.deno}`,
);
lines.push(
  `Command: \`${command}\` · ${warmup} s warm-up + ${duration} s per window · server pinned to CPU 0, C load generator to CPU 1.`,
);
lines.push(
  `Ratios compare netpoll with the same runtime's builtin, measured in this run. For rt/s and fairness higher is better; for CPU, latency, memory lower is better.`,
  repeats > 1
    ? `netpoll (Conn.read/write, promises), the builtin and netpoll readEach (Conn.readEach + tryWrite, callbacks) ran ${repeats} windows each per configuration, in that order, so each netpoll window sits next to a builtin one; a load figure's ratio is the median of the ${repeats} per-pair ratios (their range in brackets), and the columns show the window with the median round trips/s. Other servers ran once.`
    : `One window per server and configuration.`,
  "",
);
for (const rt of ["bun", "deno"] as const) {
  const mine = rows.filter((r) => r.server.runtime === rt);
  if (mine.length === 0) continue;
  const ours = mine.find((r) => r.server.name === "netpoll")!;
  const ref = mine.find((r) => r.server.reference)!;
  const cb = mine.find((r) => r.server.name === each)!;
  const others = mine.filter((r) => r !== ours && r !== ref && r !== cb);
  lines.push(`## ${rt === "bun" ? "Bun" : "Deno"}`, "");
  lines.push(
    `| figure | netpoll | ${ref.server.name} | ratio | ${each} | ratio | ${
      others.map((o) => o.server.name).join(" | ")
    } |`,
  );
  lines.push(`|---|---|---|---|---|---|${others.map(() => "---|").join("")}`);
  const blank = " | |"; // the readEach columns, for rows measured on the Conn server only
  const fig = (label: string, get: (r: LoadResult) => number, unit: string, digits = 0) => {
    for (const c of configs) {
      const a = ours.results[c.key]!;
      const b = ref.results[c.key]!;
      const fmt = (
        r: LoadResult,
      ) => (r.error && !r.rps
        ? "error"
        : `${get(r).toFixed(digits)}${unit}${r.stalled ? ` (${r.stalled} stalled)` : ""}`);
      lines.push(
        `| ${label}, ${c.label} | ${fmt(a)} | ${fmt(b)} | ${
          pairedText(pairedRatio(ours.runs[c.key]!, ref.runs[c.key]!, get))
        } | ${fmt(cb.results[c.key]!)} | ${pairedText(pairedRatio(cb.runs[c.key]!, ref.runs[c.key]!, get))} | ${
          others.map((o) => fmt(o.results[c.key]!)).join(" | ")
        } |`,
      );
    }
  };
  fig("round trips/s", (r) => r.rps, "");
  fig("server CPU µs/round trip", (r) => r.serverCpuUsPerRoundTrip, "", 2);
  fig("p50 µs", (r) => r.p50us, "", 1);
  fig("p99 µs", (r) => r.p99us, "", 1);
  fig("fairness (fewest/mean)", (r) => r.fairness, "", 2);
  const idle = (r: Row) => (typeof r.idle === "number" ? `${Math.round(r.idle)} B` : String(r.idle));
  lines.push(
    `| bytes per idle conn (${idleConns}) | ${idle(ours)} | ${idle(ref)} | ${
      typeof ours.idle === "number" && typeof ref.idle === "number" ? ratio(ours.idle, ref.idle) : "—"
    } | ${idle(cb)} | ${
      typeof cb.idle === "number" && typeof ref.idle === "number" ? ratio(cb.idle, ref.idle) : "—"
    } | ${others.map(idle).join(" | ")} |`,
  );
  const lb = libBytes[rt];
  if (lb !== undefined) {
    lines.push(
      `| library heap bytes per idle conn (${idleConns}, parked read, app buffer excluded; bench/idle.ts) | ${
        typeof lb === "number" ? `${lb} B` : lb
      } | | target ≤ 1024 B |${blank}${others.map(() => " |").join("")}`,
    );
  }
  const lt = lateness[rt];
  if (typeof lt === "object") {
    for (const ms of [1, 10, 100]) {
      const a = lt[`netpoll_${ms}ms`]!;
      const b = lt[`setTimeout_${ms}ms`]!;
      const range = (x: Lateness) => `${x.p99.toFixed(2)} ms (${x.p99Range.map((v) => v.toFixed(2)).join("-")})`;
      lines.push(
        `| deadline lateness p99, ${ms} ms (vs setTimeout; median of 3 passes, range) | ${range(a)} | ${range(b)} | ${
          ratio(a.p99, b.p99)
        } |${blank}${others.map(() => " |").join("")}`,
      );
    }
  } else if (lt !== undefined) lines.push(`| deadline lateness | ${lt} | | | |`);
  lines.push("");
  if (micros[rt]) lines.push(`### Microbenchmarks (mitata, bench/micro.ts)`, "", micros[rt], "");
  const errs = mine.flatMap((r) =>
    Object.entries(r.results).filter(([, x]) => x.error).map(([k, x]) =>
      `- ${r.server.name}, ${configs.find((c) => c.key === k)!.label}: ${x.error}`
    )
  );
  if (errs.length) lines.push("Load generator reports:", ...errs, "");
}
const report = lines.join("\n");
writeFileSync(join(outDir, "REPORT.md"), `${report}\n![round trips/s as a ratio to the builtin](chart.svg)\n`);
writeFileSync(
  join(outDir, "results.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      versions,
      command,
      warmup,
      duration,
      repeats,
      idleConns,
      rows: rows.map((r) => ({
        runtime: r.server.runtime,
        server: r.server.name,
        results: r.results,
        runs: r.runs,
        idleBytesPerConn: r.idle,
      })),
      libraryBytesPerConn: libBytes,
      lateness,
    },
    null,
    2,
  ),
);
writeFileSync(join(outDir, "chart.svg"), chart());
console.log(`\n${report}`);
console.log(
  `written: bench/results/REPORT.md, results.json, chart.svg (${
    ((performance.now() - t0) / 1000).toFixed(0)
  } s in all)`,
);

/** A grouped bar chart: netpoll's round trips/s as a ratio to the builtin, per config and runtime. */
function chart(): string {
  const rts = (["bun", "deno"] as const).filter((rt) => rows.some((r) => r.server.runtime === rt));
  const W = 760;
  const H = 320;
  const left = 60;
  const bottom = 250;
  const groupW = (W - left - 20) / configs.length;
  const vals = rts.flatMap((rt) =>
    configs.map((c) => {
      const ours = rows.find((r) => r.server.runtime === rt && r.server.name === "netpoll")!.runs[c.key]!;
      const ref = rows.find((r) => r.server.runtime === rt && r.server.reference)!.runs[c.key]!;
      return pairedRatio(ours, ref, (r) => r.rps)?.mid ?? 0;
    })
  );
  const max = Math.max(1.5, ...vals) * 1.1;
  const y = (v: number) => bottom - (v / max) * (bottom - 30);
  const colors = { bun: "#f472b6", deno: "#22c55e" };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${
      W / 2
    }" y="18" text-anchor="middle" font-size="14">netpoll round trips/s ÷ the runtime's builtin (same run)</text>`,
    `<line x1="${left}" y1="${y(1)}" x2="${W - 20}" y2="${y(1)}" stroke="#555" stroke-dasharray="4 3"/>`,
    `<text x="${left - 6}" y="${y(1) + 4}" text-anchor="end">1.0×</text>`,
    `<text x="${left - 6}" y="${y(max / 1.1) + 4}" text-anchor="end">${(max / 1.1).toFixed(1)}×</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${W - 20}" y2="${bottom}" stroke="#000"/>`,
    `<text x="${left - 6}" y="${bottom + 4}" text-anchor="end">0</text>`,
  ];
  configs.forEach((c, i) => {
    const gx = left + i * groupW;
    rts.forEach((rt, j) => {
      const v = vals[rts.indexOf(rt) * configs.length + i]!;
      const bw = (groupW - 20) / rts.length;
      const x = gx + 10 + j * bw;
      parts.push(`<rect x="${x}" y="${y(v)}" width="${bw - 4}" height="${bottom - y(v)}" fill="${colors[rt]}"/>`);
      parts.push(`<text x="${x + (bw - 4) / 2}" y="${y(v) - 4}" text-anchor="middle">${v.toFixed(2)}</text>`);
    });
    parts.push(
      `<text x="${gx + groupW / 2}" y="${bottom + 16}" text-anchor="middle">${
        c.label.split(",").slice(0, 2).join(",")
      }</text>`,
    );
    if (c.depth > 1) {
      parts.push(`<text x="${gx + groupW / 2}" y="${bottom + 30}" text-anchor="middle">pipelined ×${c.depth}</text>`);
    }
  });
  rts.forEach((rt, j) => {
    parts.push(`<rect x="${left + j * 150}" y="${H - 22}" width="12" height="12" fill="${colors[rt]}"/>`);
    parts.push(
      `<text x="${left + j * 150 + 18}" y="${H - 12}">${
        rt === "bun" ? "Bun: ÷ Bun.listen" : "Deno: ÷ Deno.listen"
      }</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
