// watch(): waiting on descriptors the library does not own.
import { describe, expect, test } from "vitest";
import { ErrClosing, ErrDeadlineExceeded, ErrnoError, watch } from "../src/mod.ts";
import { backendFacts } from "./backend_facts.ts";
import { closeAll, eventfd, openRegularFile, pipe, put, signal, take } from "./helpers.ts";

describe("watch", () => {
  test("a pipe: waitReadable resolves when the other end writes; close leaves the fd open", async () => {
    const [r, w] = pipe();
    const watched = watch(r);
    const waiting = watched.waitReadable();
    put(w, [1, 2]);
    await waiting;
    expect(take(r)).toEqual(new Uint8Array([1, 2]));
    watched.close();
    put(w, [3]); // the fd is still ours and open
    expect(take(r)).toEqual(new Uint8Array([3]));
    closeAll(r, w);
  });

  test("an eventfd: each signal after a drain wakes one wait", async () => {
    const efd = eventfd();
    const watched = watch(efd);
    for (let i = 0; i < 5; i++) {
      const waiting = watched.waitReadable();
      signal(efd);
      await waiting;
      expect(take(efd)).not.toBeNull(); // drain (read until EAGAIN) before waiting again
      expect(take(efd)).toBeNull();
    }
    watched.close();
    closeAll(efd);
  });

  test("a pipe's write end is writable at once", async () => {
    const [r, w] = pipe();
    const watched = watch(w);
    await watched.waitWritable();
    watched.close();
    closeAll(r, w);
  });

  test("deadlines, AbortSignal and close end a wait with the matching error", async () => {
    const [r, w] = pipe();
    const watched = watch(r);
    watched.setReadDeadline(Date.now() + 10);
    await expect(watched.waitReadable()).rejects.toBeInstanceOf(ErrDeadlineExceeded);
    watched.setReadDeadline(null);
    const ac = new AbortController();
    const aborted = watched.waitReadable({ signal: ac.signal });
    ac.abort(new Error("no longer interested"));
    await expect(aborted).rejects.toThrow("no longer interested");
    const closing = watched.waitReadable();
    watched.close();
    await expect(closing).rejects.toBeInstanceOf(ErrClosing);
    closeAll(r, w);
  });

  const { regularFile, openTwice, openSyscall } = backendFacts;
  test(`a regular file: ${regularFile ?? "watchable"}; the same fd twice: ${openTwice ?? "the second replaces the first"}`, () => {
    const fd = openRegularFile(new URL(import.meta.url).pathname);
    if (regularFile !== null) {
      expect(() => watch(fd)).toThrow(ErrnoError);
      expect(() => watch(fd)).toThrow(`${openSyscall}: ${regularFile}`);
    } else {
      watch(fd).close();
    }
    closeAll(fd);
    const [r, w] = pipe();
    const a = watch(r);
    if (openTwice !== null) {
      expect(() => watch(r)).toThrow(`${openSyscall}: ${openTwice}`);
    } else {
      watch(r).close();
    }
    a.close();
    closeAll(r, w);
  });
});
