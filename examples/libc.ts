// What an FFI library does for you: open libc on Bun or Deno and bind a few
// functions. The foreign-fd examples use it to make descriptors netpoll does not own.
type Sig = { args: ("i32" | "ptr" | "usize")[]; ret: "i32" };
type Fns<T> = { [K in keyof T]: (...a: (number | Uint8Array | null)[]) => number };

export async function openLibc<T extends Record<string, Sig>>(sigs: T): Promise<Fns<T>> {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
    const { dlopen } = await import(["bun", "ffi"].join(":"));
    const decl = Object.fromEntries(Object.entries(sigs).map(([k, s]) => [k, { args: s.args, returns: s.ret }]));
    return dlopen("libc.so.6", decl).symbols as Fns<T>;
  }
  const D = (globalThis as unknown as {
    Deno: { dlopen: (p: string, d: unknown) => { symbols: Record<string, (...a: unknown[]) => number> } };
  }).Deno;
  const t = { i32: "i32", ptr: "buffer", usize: "usize" } as const;
  const decl = Object.fromEntries(
    Object.entries(sigs).map(([k, s]) => [k, { parameters: s.args.map((a) => t[a]), result: s.ret }]),
  );
  const lib = D.dlopen("libc.so.6", decl);
  // Deno takes size_t as a BigInt.
  const wrap = (k: string) => (...a: (number | Uint8Array | null)[]) =>
    lib.symbols[k]!(...a.map((x, i) => (sigs[k]!.args[i] === "usize" ? BigInt(x as number) : x)));
  return Object.fromEntries(Object.keys(sigs).map((k) => [k, wrap(k)])) as Fns<T>;
}
