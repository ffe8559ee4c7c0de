/**
 * Builds the C kernel models (kqueue.c, ports.c) once per model target, with
 * that target's constants and layout from the one table in
 * src/ffi/profile.ts, into .cache/models/<target>.so. Needs gcc.
 *
 *     bun tests/models/build.ts            all targets; prints each library's path
 *     bun tests/models/build.ts freebsd    one
 *
 * Rebuilds only when the C source or the profile table is newer than the library.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type ModelTarget, modelTargets, targets } from "../../src/ffi/profile.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
/** Where the libraries go. */
export const modelDir: string = join(root, ".cache", "models");

/** The path of `target`'s model library. */
export function modelLib(target: ModelTarget): string {
  return join(modelDir, `${target}.so`);
}

/** The -D flags that make the C source speak `target`'s ABI. */
export function defines(target: ModelTarget): string[] {
  const t = targets[target];
  const d: Record<string, string | number> = { M_ERRNO_FN: t.errnoSymbol };
  if (t.kqueue !== undefined) {
    const { layout, consts: k, keventSymbol, countType } = t.kqueue;
    Object.assign(d, {
      KEV_SIZE: layout.size,
      KEV_WIDE: layout.wide ? 1 : 0,
      M_KEVENT: keventSymbol,
      M_COUNT_T: countType === "usize" ? "size_t" : "int",
      M_EVFILT_READ: k.EVFILT_READ,
      M_EVFILT_WRITE: k.EVFILT_WRITE,
      M_EV_ADD: k.EV_ADD,
      M_EV_DELETE: k.EV_DELETE,
      M_EV_CLEAR: k.EV_CLEAR,
      M_EV_ERROR: k.EV_ERROR,
      M_EV_EOF: k.EV_EOF,
    });
    if (k.EVFILT_USER !== undefined) d.M_EVFILT_USER = k.EVFILT_USER;
    if (k.NOTE_TRIGGER !== undefined) d.M_NOTE_TRIGGER = k.NOTE_TRIGGER;
  } else {
    const k = t.ports!.consts;
    Object.assign(d, {
      M_PORT_SOURCE_FD: k.PORT_SOURCE_FD,
      M_PORT_SOURCE_ALERT: k.PORT_SOURCE_ALERT,
      M_PORT_ALERT_UPDATE: k.PORT_ALERT_UPDATE,
    });
  }
  return Object.entries(d).map(([k, v]) => `-D${k}=${v}`);
}

/** Builds `target`'s model if it is missing or stale; returns its path. */
export function build(target: ModelTarget): string {
  const t = targets[target];
  const src = join(here, t.backend === "ports" ? "ports.c" : "kqueue.c");
  const out = modelLib(target);
  const inputs = [src, join(root, "src", "ffi", "profile.ts"), fileURLToPath(import.meta.url)];
  if (existsSync(out) && inputs.every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs)) return out;
  mkdirSync(modelDir, { recursive: true });
  execFileSync(
    "gcc",
    [
      "-shared",
      "-fPIC",
      "-O2",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-std=gnu11",
      ...defines(target),
      "-o",
      out,
      src,
      "-lpthread",
    ],
    { stdio: "inherit" },
  );
  return out;
}

if (import.meta.main) {
  const want = process.argv.slice(2);
  for (const name of want.length > 0 ? want : modelTargets) {
    if (!(modelTargets as readonly string[]).includes(name)) {
      console.error(`unknown model target ${name}; targets: ${modelTargets.join(", ")}`);
      process.exit(2);
    }
    console.log(build(name as ModelTarget));
  }
}
