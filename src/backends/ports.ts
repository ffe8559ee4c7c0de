/**
 * illumos and Solaris event ports: Go's runtime/netpoll_solaris.go.
 *
 * Event ports are level-triggered and one-shot: port_getn reports a
 * descriptor once and dissociates it. Go turns that into the edge-triggered
 * contract the core expects: open associates with no events; a wait arms
 * its direction (netpollarm) before parking; after a delivery the directions
 * that did not fire are associated again (netpollupdate), never the one that
 * did, since its waiter will arm again if it has to wait again.
 *
 * The user word is the tag: slot in the low 32 bits, the generation's low 20
 * bits above it (a JS number stays exact below 2^53; Go's tagged pointers
 * keep 19 bits of sequence). The backend keeps each slot's whole generation
 * and descriptor, and drops an event whose tag or descriptor does not match.
 *
 * Wake-up (netpollBreak): port_alert(PORT_ALERT_UPDATE, POLLHUP), which puts
 * the port in alert mode until a blocking poll clears it.
 *
 * @module
 */
import { ErrnoError } from "../ffi/errors.ts";
import { errnoCell, ffi, libc, portsLibc, profile } from "../ffi/libc.ts";
import { portEventSize } from "../ffi/profile.ts";
import { portsSymbols } from "../ffi/symbols.ts";
import {
  type Backend,
  type BlockingCall,
  controlBytes,
  ctlArg0,
  modeR,
  modeW,
  type ReadySink,
  wakeSlot,
} from "./backend.ts";
import { setTimespec } from "./timespec.ts";

/** Events per port_getn, as in Go. */
const maxEvents = 128;
/** Bits of the generation kept in the user word. */
const genBits = 20;
const genMask = (1 << genBits) - 1;

/** The user word for (slot, gen): what port_associate stores and port_getn returns. */
export function portTag(slot: number, gen: number): number {
  return slot + (gen & genMask) * 2 ** 32;
}

/** Creates the event-port backend (netpollinit). Throws ErrnoError if the kernel refuses. */
export function createPortsBackend(): Backend {
  const sys = portsLibc;
  const pp = profile.ports;
  if (sys === undefined || pp === undefined) throw new Error(`netpoll: no event ports on ${profile.key}`);
  const k = pp.consts;
  const { EINTR, EBUSY, ETIME } = profile.errno as Record<string, number>;

  // Shared: control words, the event list, nget (u32, padded to 8), a timespec.
  const ngetOffset = controlBytes + maxEvents * portEventSize;
  const tsOffset = ngetOffset + 8;
  const shared = new SharedArrayBuffer(tsOffset + 16);
  const ctl = new Int32Array(shared, 0, controlBytes / 4);
  const sharedNget = new Uint32Array(shared, ngetOffset, 1);
  const timespec = new BigInt64Array(shared, tsOffset, 2);
  const sharedEvents = new Uint8Array(shared, controlBytes, maxEvents * portEventSize);
  const sharedPtrs = {
    events: ffi.ptrOf(sharedEvents),
    nget: ffi.ptrOf(sharedNget),
    ts: ffi.ptrOf(new Uint8Array(shared, tsOffset, 16)),
  };
  // The main thread's own list, nget and zero timespec for inline polls. A
  // SharedArrayBuffer, like the shared one, because its pointers are kept
  // (see kqueue.ts: on Bun, kept pointers into small ArrayBuffers went stale).
  const localSize = maxEvents * portEventSize;
  const local = new SharedArrayBuffer(localSize + 8 + 16);
  const inlineEvents = new Uint8Array(local, 0, localSize);
  const inlineNget = new Uint32Array(local, localSize, 1);
  const inlinePtrs = {
    events: ffi.ptrOf(inlineEvents),
    nget: ffi.ptrOf(inlineNget),
    ts: ffi.ptrOf(new Uint8Array(local, localSize + 8, 16)),
  };

  const port = sys.port_create();
  if (port < 0) throw new ErrnoError("port_create", errnoCell[0]!);
  sys.fcntl(port, profile.file.F_SETFD, profile.file.FD_CLOEXEC);

  // Per slot, owned by the main thread: the descriptor, the whole generation,
  // and Go's pd.user, the events currently associated (one-shot: cleared by a delivery).
  let fdOf = new Int32Array(256).fill(-1);
  let genOf = new Uint32Array(256);
  let user = new Uint32Array(256);
  function ensure(slot: number): void {
    if (slot < fdOf.length) return;
    const n = Math.max(slot + 1, fdOf.length * 2);
    const f = new Int32Array(n).fill(-1);
    f.set(fdOf);
    const g = new Uint32Array(n);
    g.set(genOf);
    const u = new Uint32Array(n);
    u.set(user);
    [fdOf, genOf, user] = [f, g, u];
  }

  /** netpollupdate: associate (old &^ clear) | set, if that differs from what is associated. Returns 0 or an errno. */
  function update(slot: number, set: number, clear: number): number {
    const old = user[slot]!;
    const events = (old & ~clear) | set;
    if (old === events) return 0;
    if (
      events !== 0 && sys!.port_associate(port, k.PORT_SOURCE_FD, fdOf[slot]!, events, portTag(slot, genOf[slot]!)) < 0
    ) {
      return errnoCell[0]!;
    }
    user[slot] = events;
    return 0;
  }

  // Go's netpollWakeSig; main thread only (it decodes the poller thread's results too).
  let wakeSig = 0;
  const stats = { wakeWrites: 0, interrupted: 0 };
  let blocking = false;
  const wakeUser = portTag(wakeSlot, 0);

  // One view per event list, made once: decode runs on every poll.
  const sharedView = new DataView(shared, controlBytes, maxEvents * portEventSize);
  const inlineView = new DataView(local, 0, localSize);

  function decode(v: DataView, n: number, isBlocking: boolean, sink: ReadySink): number {
    let delivered = 0;
    for (let i = 0; i < n; i++) {
      const b = i * portEventSize;
      const events = v.getInt32(b, true);
      const source = v.getUint16(b + 4, true);
      const slot = v.getUint32(b + 16, true);
      if (source === k.PORT_SOURCE_ALERT) {
        if (events !== k.POLLHUP || slot !== wakeSlot) {
          throw new Error(
            `netpoll: port_getn returned an alert that is not ours (events ${events}, user slot ${slot})`,
          );
        }
        // Alert mode lasts until cleared; only a blocking poll clears it, so
        // a wake meant for the poller thread is not lost to an inline poll.
        if (isBlocking) {
          sys!.port_alert(port, 0, 0, 0);
          wakeSig = 0;
        }
        continue;
      }
      if (events === 0) continue;
      const fd = v.getUint32(b + 8, true);
      // A stale event: the slot was closed or reused since the association (Go's fdseq).
      if (slot >= fdOf.length || fdOf[slot] !== fd || (genOf[slot]! & genMask) !== v.getUint32(b + 20, true)) continue;
      let mode = 0;
      let clear = 0;
      if ((events & (k.POLLIN | k.POLLHUP | k.POLLERR)) !== 0) {
        mode += modeR;
        clear |= k.POLLIN;
      }
      if ((events & (k.POLLOUT | k.POLLHUP | k.POLLERR)) !== 0) {
        mode += modeW;
        clear |= k.POLLOUT;
      }
      // The port dissociated the descriptor: associate again what did not
      // fire (registered for IN|OUT, got IN: the OUT waiter must not be forgotten).
      // A failure here means the descriptor is gone; its waiters learn that from their next call.
      if (clear !== 0) update(slot, 0, clear);
      if (mode !== 0) {
        // Go reports no event errors on ports (golang/go#30840).
        sink(slot, genOf[slot]!, mode, false, (events & (k.POLLHUP | k.POLLERR)) !== 0);
        delivered++;
      }
    }
    return delivered;
  }

  function result(r: number, e: number, nget: number): number {
    if (r >= 0) return nget;
    // port_getn(3C): ETIME does not preclude the delivery of some events.
    if (e === ETIME) return nget;
    // EINTR: return empty, as Go does, and let the caller recompute its delay.
    if (e === EINTR) {
      stats.interrupted++;
      return 0;
    }
    throw new ErrnoError("port_getn", e);
  }

  const blockingCall: BlockingCall = {
    symbol: "port_getn",
    spec: portsSymbols.port_getn,
    argv: [
      { kind: "ctl", index: ctlArg0 },
      { kind: "ptr", offset: controlBytes },
      { kind: "int", value: maxEvents },
      { kind: "ptr", offset: ngetOffset },
      { kind: "ptrOrNull", offset: tsOffset, index: ctlArg0 + 1 },
    ],
  };

  const backend: Backend = {
    name: "ports",
    shared,
    libPath: profile.libc,
    errnoSymbol: profile.errnoSymbol,
    openSyscall: "port_associate",
    stats,
    blockingCall,
    open(fd, slot, gen) {
      ensure(slot);
      // No events yet: that is netpollarm's job. Associating now makes an
      // async connect or accept that completes before the first wait still
      // unblock port_getn when the wait arms.
      if (sys.port_associate(port, k.PORT_SOURCE_FD, fd, 0, portTag(slot, gen)) < 0) return errnoCell[0]!;
      fdOf[slot] = fd;
      genOf[slot] = gen;
      user[slot] = 0;
      return 0;
    },
    close(fd, slot) {
      if (slot < fdOf.length && fdOf[slot] === fd) {
        fdOf[slot] = -1;
        user[slot] = 0;
      }
      // ENOENT when a delivery already dissociated it: nothing to undo.
      return sys.port_dissociate(port, k.PORT_SOURCE_FD, fd) < 0 ? errnoCell[0]! : 0;
    },
    arm(fd, slot, _gen, mode) {
      if (slot >= fdOf.length || fdOf[slot] !== fd) return;
      const e = update(slot, mode === modeR ? k.POLLIN : k.POLLOUT, 0);
      if (e !== 0) throw new ErrnoError("port_associate", e, `arming fd ${fd}`);
    },
    pollInline(sink) {
      inlineNget[0] = 1;
      const r = sys.port_getn(port, inlinePtrs.events, maxEvents, inlinePtrs.nget, inlinePtrs.ts);
      return decode(inlineView, result(r, r < 0 ? errnoCell[0]! : 0, inlineNget[0]!), false, sink);
    },
    prepareBlocking(delayNs) {
      blocking = delayNs !== 0;
      ctl[ctlArg0] = port;
      ctl[ctlArg0 + 1] = delayNs < 0 ? 0 : 1;
      sharedNget[0] = 1;
      if (delayNs >= 0) setTimespec(timespec, delayNs);
    },
    completeBlocking(r, e, sink) {
      return decode(sharedView, result(r, e, sharedNget[0]!), blocking, sink);
    },
    pollHere(delayNs, sink) {
      backend.prepareBlocking(delayNs);
      const r = sys.port_getn(port, sharedPtrs.events, maxEvents, sharedPtrs.nget, delayNs < 0 ? null : sharedPtrs.ts);
      return backend.completeBlocking(r, r < 0 ? errnoCell[0]! : 0, sink);
    },
    wake() {
      if (wakeSig !== 0) return;
      wakeSig = 1;
      // Alert mode wakes every thread in port_getn and keeps later calls from
      // blocking until cleared. EBUSY: the port is already alerted.
      if (sys.port_alert(port, k.PORT_ALERT_UPDATE, k.POLLHUP, wakeUser) < 0) {
        const e = errnoCell[0]!;
        if (e !== EBUSY) throw new ErrnoError("port_alert", e, "netpollBreak");
      }
      stats.wakeWrites++;
    },
    isPollDescriptor(fd) {
      return fd === port;
    },
    destroy() {
      libc.close(port);
    },
  };
  return backend;
}
