/*
 * A model of illumos/Solaris event ports for Linux, to run the ports backend here.
 *
 * Written from the illumos manual pages port_create(3C), port_associate(3C),
 * port_getn(3C) and port_alert(3C), as Go's netpoll_solaris.go cites and
 * relies on them. Built by tests/models/build.ts; the backend dlopens it in
 * place of libc, and every other libc call resolves to the real one through
 * this library's dependency on libc.so.6.
 *
 * What it models:
 * - port_create(): a descriptor, closed by close().
 * - port_associate(PORT_SOURCE_FD): level-triggered and one-shot. An
 *   association with events 0 is kept but never fires; associating again
 *   replaces the events and the user value. When port_getn reports the
 *   descriptor, the association is removed (dissociated), so the caller must
 *   associate again to hear of it again. Readiness that exists when the
 *   association is made is reported (poll(2) semantics, with POLLHUP and
 *   POLLERR reported whatever was asked).
 * - port_dissociate(): ENOENT when not associated (also after a delivery).
 * - port_getn(port, list, max, nget, timeout): waits until at least *nget
 *   events are available (0: returns at once, *nget = events pending);
 *   timeout NULL blocks, {0,0} polls; ETIME when it expires with *nget set to
 *   the events retrieved; EINVAL for a bad timespec or *nget > max; EINTR on
 *   a signal.
 * - port_alert(): PORT_ALERT_SET (EBUSY when already in alert mode),
 *   PORT_ALERT_UPDATE (no EBUSY), events 0 clears alert mode. While in alert
 *   mode every port_get/port_getn, on any thread, returns at once with the
 *   alert event only (source PORT_SOURCE_ALERT, the alert's events and user).
 * - close() of a descriptor removes its associations from every port.
 * - A blocked port_getn wakes when another thread associates or alerts.
 *
 * What it does not model: sources other than PORT_SOURCE_FD and the alert
 * (timers, AIO, user events via port_send, files), port_get (singular),
 * POLLPRI/POLLRDBAND/POLLWRBAND, the per-process association limit (EAGAIN),
 * delivery order (descriptors in association order), ports shared across fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef M_PORT_SOURCE_FD
#error "build with the target's -D flags (tests/models/build.ts)"
#endif

typedef struct {
  int portev_events;
  unsigned short portev_source;
  unsigned short portev_pad;
  uintptr_t portev_object;
  void *portev_user;
} port_event_t;
_Static_assert(sizeof(port_event_t) == 24, "port_event_t size");

#define M_PORT_ALERT_SET 1

struct assoc {
  int fd; /* -1: free */
  int events;
  void *user;
};

struct port {
  int used;
  int fd; /* the port's descriptor: an eventfd that also wakes blocked port_getn callers */
  struct assoc *as;
  int nas;
  int alert;
  int alert_events;
  void *alert_user;
};

#define MAXPORTS 64
static struct port ports[MAXPORTS];
/* One lock for the whole model: it is about semantics, not speed. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int *M_ERRNO_FN(void) { return &errno; }

static struct port *port_of(int fd) {
  for (int i = 0; i < MAXPORTS; i++)
    if (ports[i].used && ports[i].fd == fd) return &ports[i];
  return NULL;
}

static void poke(struct port *p) {
  uint64_t one = 1;
  ssize_t r = write(p->fd, &one, 8);
  (void)r;
}

static struct assoc *find(struct port *p, int fd) {
  for (int i = 0; i < p->nas; i++)
    if (p->as[i].fd == fd) return &p->as[i];
  return NULL;
}

int port_create(void) {
  int fd = eventfd(0, EFD_NONBLOCK); /* no close-on-exec: the caller sets it with fcntl, as Go does */
  if (fd < 0) return -1;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAXPORTS; i++) {
    if (!ports[i].used) {
      ports[i] = (struct port){.used = 1, .fd = fd};
      pthread_mutex_unlock(&mu);
      return fd;
    }
  }
  pthread_mutex_unlock(&mu);
  syscall(SYS_close, fd);
  errno = EMFILE;
  return -1;
}

int port_associate(int port, int source, uintptr_t object, int events, void *user) {
  if (source != M_PORT_SOURCE_FD) {
    errno = EINVAL;
    return -1;
  }
  pthread_mutex_lock(&mu);
  struct port *p = port_of(port);
  if (p == NULL) {
    pthread_mutex_unlock(&mu);
    errno = EBADF;
    return -1;
  }
  int fd = (int)object;
  if (object > INT32_MAX || fcntl(fd, F_GETFD) < 0 || port_of(fd) != NULL) {
    pthread_mutex_unlock(&mu);
    errno = EBADFD;
    return -1;
  }
  struct assoc *a = find(p, fd);
  if (a == NULL) a = find(p, -1);
  if (a == NULL) {
    struct assoc *n = realloc(p->as, sizeof(struct assoc) * (p->nas + 16));
    if (n == NULL) {
      pthread_mutex_unlock(&mu);
      errno = ENOMEM;
      return -1;
    }
    for (int i = p->nas; i < p->nas + 16; i++) n[i].fd = -1;
    p->as = n;
    a = &n[p->nas];
    p->nas += 16;
  }
  a->fd = fd;
  a->events = events;
  a->user = user;
  poke(p);
  pthread_mutex_unlock(&mu);
  return 0;
}

int port_dissociate(int port, int source, uintptr_t object) {
  if (source != M_PORT_SOURCE_FD) {
    errno = EINVAL;
    return -1;
  }
  pthread_mutex_lock(&mu);
  struct port *p = port_of(port);
  struct assoc *a = p == NULL ? NULL : find(p, (int)object);
  int e = p == NULL ? EBADF : a == NULL ? ENOENT : 0;
  if (a != NULL) a->fd = -1;
  pthread_mutex_unlock(&mu);
  if (e != 0) {
    errno = e;
    return -1;
  }
  return 0;
}

int port_alert(int port, int flags, int events, void *user) {
  pthread_mutex_lock(&mu);
  struct port *p = port_of(port);
  int e = 0;
  if (p == NULL) {
    e = EBADF;
  } else if (events == 0) {
    p->alert = 0;
  } else if (flags != M_PORT_ALERT_SET && flags != M_PORT_ALERT_UPDATE) {
    e = EINVAL;
  } else if (flags == M_PORT_ALERT_SET && p->alert) {
    e = EBUSY;
  } else {
    p->alert = 1;
    p->alert_events = events;
    p->alert_user = user;
    poke(p);
  }
  pthread_mutex_unlock(&mu);
  if (e != 0) {
    errno = e;
    return -1;
  }
  return 0;
}

/* Moves ready associations into list (one-shot: each one delivered is dissociated). */
static unsigned collect(struct port *p, port_event_t *list, unsigned max, unsigned got, int count_only) {
  for (int i = 0; i < p->nas && got < max; i++) {
    struct assoc *a = &p->as[i];
    if (a->fd < 0 || a->events == 0) continue;
    struct pollfd q = {.fd = a->fd, .events = (short)a->events};
    if (poll(&q, 1, 0) <= 0) continue;
    int ev = q.revents & (a->events | POLLHUP | POLLERR | POLLNVAL);
    if (ev == 0) continue;
    if (!count_only) {
      list[got] = (port_event_t){
          .portev_events = ev, .portev_source = M_PORT_SOURCE_FD, .portev_object = (uintptr_t)a->fd, .portev_user = a->user};
      a->fd = -1;
    }
    got++;
  }
  return got;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int port_getn(int port, port_event_t *list, unsigned max, unsigned *nget, const struct timespec *timeout) {
  if (nget == NULL || (timeout != NULL && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                                            timeout->tv_nsec >= 1000000000))) {
    errno = EINVAL;
    return -1;
  }
  unsigned want = *nget;
  if (want > max) {
    errno = EINVAL;
    return -1;
  }
  pthread_mutex_lock(&mu);
  struct port *p = port_of(port);
  if (p == NULL) {
    pthread_mutex_unlock(&mu);
    errno = EBADF;
    return -1;
  }
  if (want == 0) {
    *nget = collect(p, NULL, UINT32_MAX, 0, 1);
    pthread_mutex_unlock(&mu);
    return 0;
  }
  int64_t until = timeout == NULL ? -1 : now_ns() + (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
  unsigned got = 0;
  for (;;) {
    if (p->alert) {
      list[0] = (port_event_t){
          .portev_events = p->alert_events, .portev_source = M_PORT_SOURCE_ALERT, .portev_user = p->alert_user};
      *nget = 1;
      pthread_mutex_unlock(&mu);
      return 0;
    }
    got = collect(p, list, max, got, 0);
    if (got >= want) break;
    int64_t left = until < 0 ? -1 : until - now_ns();
    if (until >= 0 && left <= 0) {
      *nget = got;
      pthread_mutex_unlock(&mu);
      errno = ETIME;
      return -1;
    }
    /* Wait for any associated descriptor, or a poke (a new association, an alert). */
    int n = 1;
    for (int i = 0; i < p->nas; i++) n += p->as[i].fd >= 0 && p->as[i].events != 0;
    struct pollfd *fds = calloc((size_t)n, sizeof *fds);
    if (fds == NULL) {
      pthread_mutex_unlock(&mu);
      errno = ENOMEM;
      return -1;
    }
    fds[0] = (struct pollfd){.fd = p->fd, .events = POLLIN};
    for (int i = 0, j = 1; i < p->nas; i++)
      if (p->as[i].fd >= 0 && p->as[i].events != 0) fds[j++] = (struct pollfd){.fd = p->as[i].fd, .events = (short)p->as[i].events};
    int pfd = p->fd;
    pthread_mutex_unlock(&mu);
    struct timespec ts = {left < 0 ? 0 : left / 1000000000, left < 0 ? 0 : left % 1000000000};
    int r = ppoll(fds, (nfds_t)n, left < 0 ? NULL : &ts, NULL);
    int werr = errno;
    int poked = r > 0 && (fds[0].revents & POLLIN);
    free(fds);
    if (poked) {
      uint64_t v;
      ssize_t rr = read(pfd, &v, 8);
      (void)rr;
    }
    pthread_mutex_lock(&mu);
    p = port_of(port);
    if (p == NULL || p->fd != pfd) {
      pthread_mutex_unlock(&mu);
      errno = EBADF;
      return -1;
    }
    if (r < 0) {
      *nget = got;
      pthread_mutex_unlock(&mu);
      errno = werr;
      return -1;
    }
  }
  *nget = got;
  pthread_mutex_unlock(&mu);
  return 0;
}

/* close(2): also removes the descriptor's associations from every port, or the port itself. */
int close(int fd) {
  pthread_mutex_lock(&mu);
  struct port *self = port_of(fd);
  if (self != NULL) {
    free(self->as);
    *self = (struct port){0};
  } else {
    for (int i = 0; i < MAXPORTS; i++) {
      struct port *p = &ports[i];
      if (!p->used) continue;
      struct assoc *a = find(p, fd);
      if (a != NULL) {
        a->fd = -1;
        poke(p);
      }
    }
  }
  pthread_mutex_unlock(&mu);
  return (int)syscall(SYS_close, fd);
}
