/*
 * A model of BSD kqueue(2) for Linux, to run the kqueue backend here.
 *
 * Written from FreeBSD's kqueue(2) manual (freebsd-manpages 12.2) and the
 * behaviour Go's netpoll_kqueue.go relies on. Built once per target by
 * tests/models/build.ts with that target's constants and struct layout
 * (-D flags, from the one table in src/ffi/profile.ts); the backend dlopens it
 * in place of libc, so every other libc call resolves to the real one through
 * this library's dependency on libc.so.6.
 *
 * What it models:
 * - kqueue(): a descriptor (an epoll fd underneath), closed by close().
 * - kevent(): changes applied in order; a failed change becomes an entry
 *   with EV_ERROR and the errno in data when the event list has room, else
 *   kevent fails with that errno; EV_RECEIPT; EINVAL for a bad timespec
 *   (negative, tv_nsec out of range, or tv_sec above 1e8 as on macOS, the
 *   limit Go's 1e6 s cap avoids); EINTR when a signal interrupts a wait.
 * - Filters EVFILT_READ, EVFILT_WRITE (sockets, pipes, eventfds; a regular
 *   file is accepted and reported once, as vnodes are always ready) and,
 *   where the target has it, EVFILT_USER with NOTE_TRIGGER.
 * - Knote activation as the kernel does it: an activation (here an
 *   edge-triggered epoll event: new data, new buffer space, EOF) queues the
 *   knote; the scan re-evaluates the filter (poll(2) with timeout 0), drops
 *   it if no longer true, else reports it with EV_EOF where the peer is gone, data = bytes readable. EV_CLEAR
 *   dequeues after a report (edge); without it the knote stays queued while
 *   true (level); EV_ONESHOT deletes it.
 * - close() of a descriptor removes its knotes from every kqueue.
 * - Several threads in kevent() on one kqueue: a change that queues a knote
 *   (a trigger, an add of a ready descriptor) wakes threads blocked in it.
 *
 * What it does not model: other filters (AIO, VNODE, PROC, SIGNAL, TIMER),
 * EV_DISPATCH, EV_ENABLE/EV_DISABLE beyond an enabled flag, data for a
 * listening socket (the backlog), the socket error in fflags
 * with EV_EOF (Linux reads SO_ERROR only by clearing it), low-water marks, NOTE_* flags other than
 * NOTE_TRIGGER, the kernel's fairness of the queue (knotes are scanned in
 * registration order), descriptors passed between processes, fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef KEV_SIZE
#error "build with the target's -D flags (tests/models/build.ts)"
#endif

struct kev {
  uint64_t ident;
#if KEV_WIDE
  uint32_t filter;
  uint32_t flags;
  uint32_t fflags;
  uint32_t pad;
#else
  int16_t filter;
  uint16_t flags;
  uint32_t fflags;
#endif
  int64_t data;
  void *udata;
#if KEV_SIZE == 64
  uint64_t ext[4];
#endif
};
_Static_assert(sizeof(struct kev) == KEV_SIZE, "struct kevent size");

/* Flags every BSD shares that the profile table does not carry. */
#define M_EV_ENABLE 0x4
#define M_EV_DISABLE 0x8
#define M_EV_ONESHOT 0x10
#define M_EV_RECEIPT 0x40
#define M_NOTE_FFCTRLMASK 0xc0000000u

#define FILTER(v) ((__typeof__(((struct kev *)0)->filter))(v))

enum kind { K_READ, K_WRITE, K_USER };

struct knote {
  int used;
  enum kind kind;
  uint64_t ident;
  uint32_t flags; /* registration flags, less ADD/DELETE/ENABLE/DISABLE */
  uint32_t fflags;
  int enabled;
  int queued;    /* activated and not yet reported (or level and still true) */
  int triggered; /* EVFILT_USER state */
  int vnode;     /* not pollable by epoll: a regular file, ready once */
  void *udata;
};

struct kq {
  int used;
  int epfd; /* the kqueue's own descriptor */
  int efd;  /* wakes threads blocked in kevent() on this kqueue */
  struct knote *notes;
  int nnotes;
};

#define MAXKQ 64
static struct kq kqs[MAXKQ];
/* One lock for the whole model: it is about semantics, not speed. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static struct kq *kq_of(int fd) {
  for (int i = 0; i < MAXKQ; i++)
    if (kqs[i].used && kqs[i].epfd == fd) return &kqs[i];
  return NULL;
}

static void poke(struct kq *q) {
  uint64_t one = 1;
  ssize_t r = write(q->efd, &one, 8);
  (void)r; /* EAGAIN: already poked */
}

/* The epoll interest of descriptor fd in q: the union of its read and write knotes, edge-triggered. */
static int sync_interest(struct kq *q, int fd) {
  uint32_t ev = 0;
  int vnode = 0;
  for (int i = 0; i < q->nnotes; i++) {
    struct knote *k = &q->notes[i];
    if (!k->used || k->kind == K_USER || k->ident != (uint64_t)fd) continue;
    if (k->vnode) vnode = 1;
    ev |= k->kind == K_READ ? (EPOLLIN | EPOLLRDHUP) : EPOLLOUT;
  }
  if (vnode) return 0;
  struct epoll_event e = {.events = ev | EPOLLET, .data.u64 = (uint64_t)fd};
  if (ev == 0) {
    epoll_ctl(q->epfd, EPOLL_CTL_DEL, fd, &e);
    return 0;
  }
  if (epoll_ctl(q->epfd, EPOLL_CTL_MOD, fd, &e) == 0) return 0;
  if (errno != ENOENT) return errno;
  return epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &e) == 0 ? 0 : errno;
}

static struct knote *find(struct kq *q, enum kind kind, uint64_t ident) {
  for (int i = 0; i < q->nnotes; i++)
    if (q->notes[i].used && q->notes[i].kind == kind && q->notes[i].ident == ident) return &q->notes[i];
  return NULL;
}

static struct knote *alloc_note(struct kq *q) {
  for (int i = 0; i < q->nnotes; i++)
    if (!q->notes[i].used) return &q->notes[i];
  struct knote *n = realloc(q->notes, sizeof(struct knote) * (q->nnotes + 16));
  if (n == NULL) return NULL;
  memset(n + q->nnotes, 0, sizeof(struct knote) * 16);
  q->notes = n;
  q->nnotes += 16;
  return &q->notes[q->nnotes - 16];
}

/* Applies one change; returns 0 or an errno. */
static int apply(struct kq *q, const struct kev *c) {
  enum kind kind;
  if (c->filter == FILTER(M_EVFILT_READ)) kind = K_READ;
  else if (c->filter == FILTER(M_EVFILT_WRITE)) kind = K_WRITE;
#ifdef M_EVFILT_USER
  else if (c->filter == FILTER(M_EVFILT_USER)) kind = K_USER;
#endif
  else return EINVAL;
  if (kind != K_USER && (c->ident > INT32_MAX || fcntl((int)c->ident, F_GETFD) < 0)) return EBADF;
  struct knote *k = find(q, kind, c->ident);
  if (c->flags & M_EV_DELETE) {
    if (k == NULL) return ENOENT;
    k->used = 0;
    if (kind != K_USER) sync_interest(q, (int)c->ident);
    return 0;
  }
  if (k == NULL) {
    if (!(c->flags & M_EV_ADD)) return ENOENT;
    k = alloc_note(q);
    if (k == NULL) return ENOMEM;
    memset(k, 0, sizeof *k);
    k->used = 1;
    k->kind = kind;
    k->ident = c->ident;
    k->enabled = 1;
    if (kind != K_USER) {
      int e = sync_interest(q, (int)c->ident);
      if (e == EPERM) {
        k->vnode = 1;
      } else if (e != 0) {
        k->used = 0;
        return e;
      }
    }
  }
  if (c->flags & M_EV_ADD) {
    k->flags = c->flags & ~(M_EV_ADD | M_EV_DELETE | M_EV_ENABLE | M_EV_DISABLE | M_EV_RECEIPT);
    k->udata = c->udata;
    /* EV_ADD evaluates the filter at once, as kqueue_register does. */
    if (kind != K_USER) k->queued = 1;
  }
  if (c->flags & M_EV_DISABLE) k->enabled = 0;
  if (c->flags & M_EV_ENABLE) k->enabled = 1;
#ifdef M_NOTE_TRIGGER
  if (kind == K_USER) {
    k->fflags = (k->fflags & ~M_NOTE_FFCTRLMASK) | (c->fflags & ~(M_NOTE_FFCTRLMASK | M_NOTE_TRIGGER));
    if (c->fflags & M_NOTE_TRIGGER) {
      k->triggered = 1;
      k->queued = 1;
    }
  }
#endif
  if (k->queued && k->enabled) poke(q);
  return 0;
}

/* f_event: whether the knote's condition holds now; fills the reported flags, fflags and data. */
static int evaluate(struct knote *k, struct kev *out) {
  memset(out, 0, sizeof *out);
  out->ident = k->ident;
  out->flags = k->flags;
  out->udata = k->udata;
  if (k->kind == K_USER) {
#ifdef M_EVFILT_USER
    out->filter = FILTER(M_EVFILT_USER);
#endif
    out->fflags = k->fflags;
    return k->triggered;
  }
  int fd = (int)k->ident;
  out->filter = FILTER(k->kind == K_READ ? M_EVFILT_READ : M_EVFILT_WRITE);
  if (k->vnode) return 1;
  struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  if (poll(&p, 1, 0) < 0 || (p.revents & POLLNVAL)) return 0;
  int gone = (p.revents & (POLLHUP | POLLERR)) || (k->kind == K_READ && (p.revents & POLLRDHUP));
  /* The kernel also puts the socket's pending error in fflags; Linux can only
     read SO_ERROR by clearing it, which would steal it from the caller. */
  if (gone) out->flags |= M_EV_EOF;
  if (k->kind == K_READ) {
    int avail = 0;
    if (ioctl(fd, FIONREAD, &avail) == 0) out->data = avail;
    return (p.revents & POLLIN) || gone;
  }
  return (p.revents & POLLOUT) || gone;
}

/* Turns epoll events into knote activations. */
static void activate(struct kq *q, struct epoll_event *evs, int n) {
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u64 == UINT64_MAX) {
      uint64_t v;
      ssize_t r = read(q->efd, &v, 8);
      (void)r;
      continue;
    }
    uint64_t fd = evs[i].data.u64;
    for (int j = 0; j < q->nnotes; j++) {
      struct knote *k = &q->notes[j];
      if (k->used && k->kind != K_USER && k->ident == fd) k->queued = 1;
    }
  }
}

/* kqueue_scan: reports queued knotes whose filter holds, up to nev. */
static int scan(struct kq *q, struct kev *out, int nev) {
  int n = 0;
  for (int i = 0; i < q->nnotes && n < nev; i++) {
    struct knote *k = &q->notes[i];
    if (!k->used || !k->queued || !k->enabled) continue;
    if (!evaluate(k, &out[n])) {
      k->queued = 0;
      continue;
    }
    n++;
    if (k->flags & M_EV_ONESHOT) {
      k->used = 0;
      if (k->kind != K_USER) sync_interest(q, (int)k->ident);
    } else if (k->flags & M_EV_CLEAR) {
      k->queued = 0;
      k->triggered = 0; /* a regular file, never activated again, reports once */
    }
  }
  return n;
}

static int drain(struct kq *q) {
  struct epoll_event evs[64];
  int n;
  while ((n = epoll_wait(q->epfd, evs, 64, 0)) > 0) activate(q, evs, n);
  return n < 0 ? errno : 0;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int remaining(struct kq *q) {
  for (int i = 0; i < q->nnotes; i++)
    if (q->notes[i].used && q->notes[i].queued && q->notes[i].enabled) return 1;
  return 0;
}

int *M_ERRNO_FN(void) { return &errno; }

int kqueue(void) {
  int epfd = epoll_create1(0); /* no close-on-exec: the caller sets it with fcntl, as Go does */
  if (epfd < 0) return -1;
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) {
    int e = errno;
    syscall(SYS_close, epfd);
    errno = e;
    return -1;
  }
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
  epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &e);
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAXKQ; i++) {
    if (!kqs[i].used) {
      kqs[i] = (struct kq){.used = 1, .epfd = epfd, .efd = efd};
      pthread_mutex_unlock(&mu);
      return epfd;
    }
  }
  pthread_mutex_unlock(&mu);
  syscall(SYS_close, efd);
  syscall(SYS_close, epfd);
  errno = EMFILE;
  return -1;
}

int M_KEVENT(int kqfd, const struct kev *changes, M_COUNT_T nchanges, struct kev *events, M_COUNT_T nevents,
             const struct timespec *ts) {
  if (ts != NULL && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000 || ts->tv_sec > 100000000)) {
    errno = EINVAL;
    return -1;
  }
  if ((int64_t)nchanges < 0 || (int64_t)nevents < 0 || nevents > INT32_MAX) {
    errno = EINVAL;
    return -1;
  }
  pthread_mutex_lock(&mu);
  struct kq *q = kq_of(kqfd);
  if (q == NULL) {
    pthread_mutex_unlock(&mu);
    errno = EBADF;
    return -1;
  }
  int nev = (int)nevents;
  int n = 0;
  for (M_COUNT_T i = 0; i < nchanges; i++) {
    int e = apply(q, &changes[i]);
    if (e != 0 || (changes[i].flags & M_EV_RECEIPT)) {
      if (n < nev) {
        events[n] = changes[i];
        events[n].flags = M_EV_ERROR;
        events[n].data = e;
        n++;
      } else if (e != 0) {
        pthread_mutex_unlock(&mu);
        errno = e;
        return -1;
      }
    }
  }
  /* Error entries are returned at once, without a scan. */
  if (n > 0 || nev == 0) {
    pthread_mutex_unlock(&mu);
    return n;
  }
  int64_t until = ts == NULL ? -1 : now_ns() + (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
  for (;;) {
    int e = drain(q);
    if (e != 0 && e != EINTR) {
      pthread_mutex_unlock(&mu);
      errno = e;
      return -1;
    }
    n = scan(q, events, nev);
    /* Knotes still queued: wake another thread blocked here so none is left waiting on them. */
    if (remaining(q)) poke(q);
    if (n > 0) break;
    int64_t left = until < 0 ? -1 : until - now_ns();
    if (until >= 0 && left <= 0) break;
    int epfd = q->epfd;
    pthread_mutex_unlock(&mu);
    struct epoll_event evs[64];
    int ms = left < 0 ? -1 : (int)((left + 999999) / 1000000);
    int r = epoll_wait(epfd, evs, 64, ms);
    int werr = errno;
    pthread_mutex_lock(&mu);
    q = kq_of(kqfd);
    if (q == NULL || q->epfd != epfd) {
      pthread_mutex_unlock(&mu);
      errno = EBADF;
      return -1;
    }
    if (r < 0) {
      pthread_mutex_unlock(&mu);
      errno = werr;
      return -1;
    }
    activate(q, evs, r);
  }
  pthread_mutex_unlock(&mu);
  return n;
}

/* close(2): also removes the descriptor's knotes from every kqueue, or the kqueue itself. */
int close(int fd) {
  pthread_mutex_lock(&mu);
  struct kq *self = kq_of(fd);
  if (self != NULL) {
    syscall(SYS_close, self->efd);
    free(self->notes);
    *self = (struct kq){0};
  } else {
    for (int i = 0; i < MAXKQ; i++) {
      struct kq *q = &kqs[i];
      if (!q->used) continue;
      int had = 0;
      for (int j = 0; j < q->nnotes; j++) {
        struct knote *k = &q->notes[j];
        if (k->used && k->kind != K_USER && k->ident == (uint64_t)fd) {
          k->used = 0;
          had = 1;
        }
      }
      if (had) {
        struct epoll_event e = {0};
        epoll_ctl(q->epfd, EPOLL_CTL_DEL, fd, &e);
      }
    }
  }
  pthread_mutex_unlock(&mu);
  return (int)syscall(SYS_close, fd);
}
