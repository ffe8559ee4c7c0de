// Runs the whole suite: `bun test` on Bun, vitest on Deno, then the
// type-checks. Every step runs even if an earlier one failed, so one run
// shows everything. Ends with the line CI reads, "N passed, N failed, N skipped",
// summed from the runners' own reports (JUnit from Bun, JSON from vitest),
// and exits non-zero on any failure. Plain Node, so it runs before anything else works.
//
// The backend passes: the suites that exercise a backend run once on this
// machine's epoll, then once per C kernel model (tests/models) with the
// backend of that target (kqueue: FreeBSD, macOS, OpenBSD, NetBSD layouts;
// event ports: illumos), on both runtimes. One suite, parameterized by the
// NETPOLL_MODEL environment variable, not a copy.
//
//   node scripts/test.mjs            everything
//   node scripts/test.mjs bun        one step: bun | deno | models | typecheck | lint
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const out = join(root, ".cache", "results");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** @param {string} cmd @param {string[]} args */
function run(cmd, args, env = {}) {
  const shown = Object.entries(env).map(([k, v]) => `${k}=${v.replace(root, "")}`);
  console.log(`\n$ ${[...shown, cmd.replace(root, ""), ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.error) console.error(r.error.message);
  return r.status ?? 1;
}

/**
 * Counts, and the failing tests by name, from a report file; a missing report
 * counts the step as one failure. The names are printed again in the summary
 * because CI keeps only the tail of the log: a failure must be named there.
 */
function counts(step, file, parse, status) {
  if (!existsSync(file)) {
    return { step, passed: 0, failed: 1, skipped: 0, failures: [], note: "no report (runner crashed?)" };
  }
  const c = parse(readFileSync(file, "utf8"));
  // A runner that failed without failing a test (a load error) still fails the run.
  if (status !== 0 && c.failed === 0) {
    c.failed = 1;
    c.failures = [...(c.failures ?? []), `the runner exited with status ${status} without failing a test`];
  }
  return { step, ...c };
}

/** Undoes the XML escapes Bun's JUnit reporter writes. */
function unxml(s) {
  return s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/** The suites that exercise a backend: run in every backend pass. */
const backendSuites = [
  "poller",
  "poller_thread",
  "deadline",
  "reuse",
  "lifetime",
  "fd",
  "fairness",
  "net",
  "net_timeout",
  "net_errors",
  "net_addr",
  "watch",
].map((n) => `tests/${n}.test.ts`);

/** Model targets and their backend-specific file (the kqueue ones: one per kevent layout and wake-up kind). */
const models = [
  ["freebsd", "kqueue"],
  ["darwin", "kqueue"],
  ["openbsd", "kqueue"],
  ["netbsd", "kqueue"],
  ["illumos", "ports"],
];
const modelOnly = new Set(["tests/backend_kqueue.test.ts", "tests/backend_ports.test.ts"]);

/** Every test file for the epoll pass: all but the model-only ones. */
function epollFiles() {
  return readdirSync(join(root, "tests"))
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `tests/${f}`)
    .filter((f) => !modelOnly.has(f))
    .sort();
}

function runBun(label, files, env, tag) {
  const file = join(out, `bun-${tag}.xml`);
  const status = run(bin("bun"), [
    "test",
    "--reporter=junit",
    `--reporter-outfile=${file}`,
    ...files.map((f) => `./${f}`),
  ], env);
  return counts(label, file, (xml) => {
    const m = /<testsuites[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"[^>]*\bskipped="(\d+)"/.exec(xml);
    if (!m) return { passed: 0, failed: 1, skipped: 0, failures: ["unreadable JUnit report"] };
    const [t, f, s] = m.slice(1).map(Number);
    const failures = [];
    const re = /<testcase name="([^"]*)"[^>]*\bfile="([^"]*)"[^>]*>\s*<failure[^>]*\bmessage="([^"]*)"/g;
    for (let x; (x = re.exec(xml));) failures.push(`${x[2]}: ${unxml(x[1])}: ${unxml(x[3])}`);
    return { passed: t - f - s, failed: f, skipped: s, failures };
  }, status);
}

function runDeno(label, files, env, tag) {
  const file = join(out, `deno-${tag}.json`);
  const status = run(bin("deno"), [
    "run",
    "-A",
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${file}`,
    ...files,
  ], env);
  return counts(label, file, (json) => {
    const j = JSON.parse(json);
    // A file that failed to load has no failed test in it: count it once.
    const loadErrors = j.testResults.filter(
      (f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"),
    ).length;
    const failures = j.testResults.flatMap((f) => {
      const file = f.name.replace(root, "");
      const failed = f.assertionResults.filter((a) => a.status === "failed");
      if (f.status === "failed" && failed.length === 0) return [`${file}: failed to load: ${f.message ?? ""}`];
      return failed.map((a) => `${file}: ${a.fullName}: ${a.failureMessages?.[0] ?? ""}`);
    });
    return {
      passed: j.numPassedTests,
      failed: j.numFailedTests + loadErrors,
      skipped: j.numPendingTests + j.numTodoTests,
      failures,
    };
  }, status);
}

const steps = {
  bun: () => [runBun("bun test (epoll)", epollFiles(), {}, "epoll")],
  deno: () => [runDeno("vitest on deno (epoll)", epollFiles(), {}, "epoll")],
  models() {
    // Build every model first (gcc); a build failure fails the step.
    if (run(bin("bun"), ["tests/models/build.ts"]) !== 0) {
      return [{ step: "build the kernel models", passed: 0, failed: 1, skipped: 0, note: "gcc failed?" }];
    }
    const results = [];
    for (const [target, backend] of models) {
      const env = { NETPOLL_MODEL: target, NETPOLL_MODEL_LIB: join(root, ".cache", "models", `${target}.so`) };
      const files = [...backendSuites, `tests/backend_${backend}.test.ts`];
      results.push(runBun(`bun test (${backend}, ${target} model)`, files, env, target));
      results.push(runDeno(`vitest on deno (${backend}, ${target} model)`, files, env, target));
    }
    return results;
  },
  typecheck() {
    mkdirSync(join(root, ".cache", "types"), { recursive: true });
    const types = spawnSync(bin("deno"), ["types"], { cwd: root, encoding: "utf8" });
    writeFileSync(join(root, ".cache", "types", "deno.d.ts"), types.stdout ?? "");
    const a = run(
      bin("deno"),
      ["check", "src", "tests", "bench", "stress", "examples"].filter((d) =>
        d === "check" || existsSync(join(root, d))
      ),
    );
    const b = run(bin("tsc"), ["-p", "tsconfig.json"]);
    console.log(`deno check: ${a === 0 ? "ok" : "FAILED"}; tsc: ${b === 0 ? "ok" : "FAILED"}`);
    return {
      step: "type-check (deno check, tsc)",
      passed: (a === 0) + (b === 0),
      failed: (a !== 0) + (b !== 0),
      skipped: 0,
      failures: [a !== 0 && "deno check", b !== 0 && "tsc"].filter(Boolean),
    };
  },
  lint() {
    // The ecosystem's own checks, each one pass/fail: what JSR and a Deno user would see.
    const checks = [
      ["deno lint", [bin("deno"), ["lint"]]],
      ["deno fmt --check", [bin("deno"), ["fmt", "--check"]]],
      ["deno doc --lint", [bin("deno"), ["doc", "--lint", "src/mod.ts"]]],
      ["deno check --doc (every JSDoc example type-checks)", [bin("deno"), ["check", "--doc", "src"]]],
      ["deno publish --dry-run", [bin("deno"), ["publish", "--dry-run", "--allow-dirty"]]],
      ["npm pack --dry-run", ["npm", ["pack", "--dry-run", "--silent"]]],
    ];
    let passed = 0;
    let failed = 0;
    const failures = [];
    for (const [name, [cmd, args]] of checks) {
      const ok = run(cmd, args) === 0;
      console.log(`${name}: ${ok ? "ok" : "FAILED"}`);
      ok ? passed++ : failed++;
      if (!ok) failures.push(name);
    }
    return { step: "lint, format, docs, publish dry-runs", passed, failed, skipped: 0, failures };
  },
};

const want = process.argv.slice(2);
const chosen = want.length ? want : Object.keys(steps);
const results = [];
for (const name of chosen) {
  if (!(name in steps)) {
    console.error(`unknown step ${name}; steps: ${Object.keys(steps).join(", ")}`);
    process.exit(2);
  }
  const r = steps[name]();
  results.push(...(Array.isArray(r) ? r : [r]));
}
console.log("\nsummary:");
for (const r of results) {
  console.log(
    `  ${r.step}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ""}`,
  );
  // First lines only: the whole message and stack are above, in the runner's own output.
  for (const f of r.failures ?? []) {
    console.log(
      `    FAILED ${
        f.split("\n").filter((l) => l.trim() && !l.includes("node_modules")).slice(0, 3).join(" | ").slice(0, 400)
      }`,
    );
  }
}
const sum = (k) => results.reduce((n, r) => n + r[k], 0);
console.log(`${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`);
process.exit(sum("failed") > 0 ? 1 : 0);
