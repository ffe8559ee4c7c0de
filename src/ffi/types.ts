/**
 * The runtime-neutral vocabulary of the libc binding. A symbol is described
 * once, in these terms, and each runtime's binder (bind_bun.ts, bind_deno.ts)
 * turns the description into its own FFI declaration.
 *
 * @module
 */

/**
 * A C parameter or result type.
 *
 * - `i32`, `u32`: 32-bit integers, passed as JS numbers.
 * - `usize`: `size_t`. Declared at its real width so the callee never sees
 *   undefined upper bits; Deno is given a BigInt (a JS number costs ~130 ns
 *   more per call there, RUNTIME-FACTS.md), Bun a number.
 * - `buf`: a typed array whose memory the call reads or writes. Both runtimes
 *   pass its address without copying (Bun ~7 ns, Deno ~21 ns per call).
 * - `ptr`: a pointer value made once by {@linkcode Libc.ptrOf} and reused: the
 *   cheapest way to pass a buffer that lives as long as the poller.
 * - `void`: no result.
 */
export type CType = "i32" | "u32" | "usize" | "buf" | "ptr" | "void";

/** One libc function: its parameter types and result type. */
export interface SymbolSpec {
  readonly args: readonly CType[];
  readonly ret: CType;
}

/**
 * An opaque pointer value as the running runtime represents it (a number on
 * Bun, a `Deno.PointerObject` on Deno). Only {@linkcode Libc.ptrOf} makes one.
 */
export type Pointer = { readonly __pointer: unique symbol };

/** The JS type an argument of C type `T` is given as. */
export type ArgOf<T extends CType> = T extends "buf" ? ArrayBufferView
  : T extends "ptr" ? Pointer | null
  : number;

/** The JS type a result of C type `T` comes back as. */
export type RetOf<T extends CType> = T extends "ptr" ? Pointer | null
  : T extends "void" ? void
  : number;

/** Maps a tuple of C types to the tuple of JS argument types. */
export type ArgsOf<A extends readonly CType[]> = {
  -readonly [K in keyof A]: A[K] extends CType ? ArgOf<A[K]> : never;
};

/** The JS function a {@linkcode SymbolSpec} is bound to. */
export type BoundFn<S extends SymbolSpec> = (...args: ArgsOf<S["args"]>) => RetOf<S["ret"]>;

/** A table of symbols, bound. */
export type Bound<T extends Record<string, SymbolSpec>> = { readonly [K in keyof T]: BoundFn<T[K]> };

/** What a runtime binder provides beyond the bound functions. */
export interface RuntimeFFI {
  /** `"bun"` or `"deno"`. */
  readonly runtime: "bun" | "deno";
  /** Opens `path` and binds `table`. Symbols missing from the library throw. */
  open<T extends Record<string, SymbolSpec>>(path: string, table: T): Bound<T>;
  /** A reusable pointer to the first byte of `view`. Keep `view` alive while it is used. */
  ptrOf(view: ArrayBufferView): Pointer;
  /** A 4-byte view over memory at `p` (the errno cell). */
  int32At(p: Pointer): Int32Array;
}
