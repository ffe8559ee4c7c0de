/**
 * The Bun binder: `bun:ffi` `dlopen` over the declarative tables.
 * Loaded only on Bun, by a dynamic import in libc.ts.
 *
 * @module
 */
import type { FFIFunction, FFITypeOrString, Pointer as BunPointer } from "bun:ffi";
import type { Bound, CType, Pointer, RuntimeFFI, SymbolSpec } from "./types.ts";

// A computed specifier keeps bundlers and Vite from resolving `bun:ffi` on Deno.
const ffi: typeof import("bun:ffi") = await import(/* @vite-ignore */ ["bun", "ffi"].join(":"));

// `buf` and `ptr` are both Bun's `ptr`: it takes a typed array (7 ns) or a number.
const bunType: Record<CType, FFITypeOrString> = {
  i32: "i32",
  u32: "u32",
  usize: "usize",
  buf: "ptr",
  ptr: "ptr",
  void: "void",
};

function declare(table: Record<string, SymbolSpec>): Record<string, FFIFunction> {
  const out: Record<string, FFIFunction> = {};
  for (const [name, s] of Object.entries(table)) {
    out[name] = { args: s.args.map((a) => bunType[a]), returns: bunType[s.ret] };
  }
  return out;
}

// Bun's ptr() of an empty or detached view *returns* a TypeError (RUNTIME-FACTS.md).
function bunPtr(view: ArrayBufferView): number {
  const p: unknown = ffi.ptr(view as Uint8Array);
  if (typeof p !== "number") throw new TypeError("ptrOf: the view is empty or detached");
  return p;
}

/** The {@linkcode RuntimeFFI} for Bun. */
export const bunFFI: RuntimeFFI = {
  runtime: "bun",
  open<T extends Record<string, SymbolSpec>>(path: string, table: T): Bound<T> {
    return ffi.dlopen(path, declare(table)).symbols as unknown as Bound<T>;
  },
  ptrOf(view: ArrayBufferView): Pointer {
    return bunPtr(view) as unknown as Pointer;
  },
  int32At(p: Pointer): Int32Array {
    return new Int32Array(ffi.toArrayBuffer(p as unknown as BunPointer, 0, 4));
  },
};
