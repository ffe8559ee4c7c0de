/**
 * The stress command: every scenario in scenarios.ts, one after another,
 * with progress as it goes and a table of figures at the end. Exits 1 if
 * any scenario saw a problem. Writes the reports to .cache/stress/<runtime>.json.
 *
 *   bun stress/run.ts                       full size (about 2 minutes)
 *   bun stress/run.ts --quick               the sizes CI runs
 *   bun stress/run.ts --only echo-load,emfile --seed 7
 *   deno run -A stress/run.ts                (-A: it reads /proc/self, as --allow-read alone does not permit)
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import process from "node:process";
import { warmUp } from "./pair.ts";
import type { Report } from "./report.ts";
import { scenarios } from "./scenarios.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const size = argv.includes("--quick") ? "quick" : "full";
const seed = Number(flag("--seed") ?? 20261122);
const only = flag("--only")?.split(",");
const unknown = only?.filter((n) => !scenarios.some((s) => s.name === n)) ?? [];
if (unknown.length > 0 || !Number.isInteger(seed)) {
  console.error(
    `stress: unknown scenario ${unknown.join(", ")} or bad --seed; scenarios: ${
      scenarios.map((s) => s.name).join(", ")
    }`,
  );
  process.exit(2);
}
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
console.log(`stress: ${size} size, seed ${seed}, on ${runtime}`);
await warmUp();

const reports: Report[] = [];
for (const s of scenarios) {
  if (only && !only.includes(s.name)) continue;
  console.log(`\n== ${s.name}: ${s.what}`);
  const r = await s.run(size, seed, (line) => console.log(`   ${line}`));
  reports.push(r);
  for (const [k, v] of Object.entries(r.figures)) console.log(`   ${k.padEnd(32)} ${v.toLocaleString("en-US")}`);
  console.log(`   ${r.problems.length === 0 ? "ok" : "FAILED"} in ${(r.ms / 1000).toFixed(1)} s`);
  for (const p of r.problems) console.log(`   problem: ${p}`);
}
const dir = new URL("../.cache/stress/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}${runtime}.json`, JSON.stringify({ runtime, size, seed, reports }, null, 2));
const failed = reports.filter((r) => r.problems.length > 0);
console.log(
  `\nstress: ${reports.length - failed.length} scenarios passed, ${failed.length} failed (${runtime}, ${size})`,
);
process.exit(failed.length > 0 ? 1 : 0);
