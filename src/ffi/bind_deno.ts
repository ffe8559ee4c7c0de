/**
 * The Deno binder: `Deno.dlopen` over the declarative tables.
 * Loaded only on Deno, by a dynamic import in libc.ts. Needs `--allow-ffi`.
 *
 * @module
 */
import type { Bound, CType, Pointer, RuntimeFFI, SymbolSpec } from "./types.ts";

const denoType: Record<CType, Deno.NativeType | "void"> = {
  i32: "i32",
  u32: "u32",
  usize: "usize",
  buf: "buffer",
  ptr: "pointer",
  void: "void",
};

type Fn = (...args: unknown[]) => unknown;

/**
 * Deno wants a BigInt for a 64-bit parameter (a number costs ~130 ns more).
 * The common shapes get a fixed-arity wrapper so no rest array is made per call.
 */
function widen(f: Fn, args: readonly CType[]): Fn {
  const wide = args.flatMap((a, i) => (a === "usize" ? [i] : []));
  if (wide.length === 0) return f;
  if (wide.length === 1 && wide[0] === 2 && args.length === 3) {
    return (a, b, c) => f(a, b, BigInt(c as number));
  }
  if (wide.length === 1 && wide[0] === 2 && args.length === 4) {
    return (a, b, c, d) => f(a, b, BigInt(c as number), d);
  }
  return (...xs) => {
    for (const i of wide) xs[i] = BigInt(xs[i] as number);
    return f(...xs);
  };
}

/** The {@linkcode RuntimeFFI} for Deno. */
export const denoFFI: RuntimeFFI = {
  runtime: "deno",
  open<T extends Record<string, SymbolSpec>>(path: string, table: T): Bound<T> {
    const decl: Record<string, Deno.ForeignFunction> = {};
    for (const [name, s] of Object.entries(table)) {
      decl[name] = {
        parameters: s.args.map((a) => denoType[a] as Deno.NativeType),
        result: denoType[s.ret] as Deno.NativeResultType,
      };
    }
    const lib = Deno.dlopen(path, decl);
    const out: Record<string, Fn> = {};
    for (const [name, s] of Object.entries(table)) {
      out[name] = widen(lib.symbols[name] as unknown as Fn, s.args);
    }
    return out as unknown as Bound<T>;
  },
  ptrOf(view: ArrayBufferView): Pointer {
    const p = Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>);
    if (p === null) throw new TypeError("ptrOf: the view is empty or detached");
    return p as unknown as Pointer;
  },
  int32At(p: Pointer): Int32Array {
    return new Int32Array(Deno.UnsafePointerView.getArrayBuffer(p as unknown as Deno.PointerObject, 4));
  },
};
