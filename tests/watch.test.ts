// watch(): waiting on descriptors the library does not own.
import { describe, expect, test } from "vitest";
import { ErrClosing, ErrDeadlineExceeded, ErrnoError, watch } from "../src/mod.ts";
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

  test("a regular file cannot be watched: EPERM; the same fd twice: EEXIST", () => {
    const fd = openRegularFile(new URL(import.meta.url).pathname);
    expect(() => watch(fd)).toThrow(ErrnoError);
    expect(() => watch(fd)).toThrow(/epoll_ctl: EPERM/);
    closeAll(fd);
    const [r, w] = pipe();
    const a = watch(r);
    expect(() => watch(r)).toThrow(/EEXIST/);
    a.close();
    closeAll(r, w);
  });
});
