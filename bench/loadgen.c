/*
 * loadgen: the benchmark's load generator. Not JavaScript, so no runtime is
 * favoured. Single-threaded, epoll, non-blocking.
 *
 * Each connection sends messages of --size bytes and expects them echoed.
 * --depth 1 is ping-pong (send, wait for the whole echo, repeat); --depth D
 * keeps D messages in flight. Every byte is checked: byte i of the
 * connection's stream is pattern(conn, i), so a lost, duplicated or
 * reordered byte is caught. Connections open CONNECT_BATCH at a time, and
 * every connection completes one round trip, then waits for the rest to open,
 * before the clock starts; then --warmup seconds; then the measured --duration.
 *
 * Prints one JSON line: round trips/s, latency percentiles, per-connection
 * min/max round trips (fairness), server CPU time over the window (from
 * /proc/PID/stat, all threads). Exits 1 on any error (clear message on
 * stderr), 3 if a connection stalled (no round trip for --stall seconds).
 *
 * --idle N: open N connections, one round trip each, print "IDLE_READY",
 * then hold them until stdin closes (the caller measures the server's RSS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  int connected;
  uint64_t sent;      /* bytes written so far (stream offset) */
  uint64_t want;      /* bytes the stream should have sent by now */
  uint64_t recvd;     /* bytes received and checked */
  uint64_t rt;        /* round trips completed in the window */
  uint64_t rt_total;  /* round trips completed ever */
  uint64_t *stamps;   /* send time (ns) of each in-flight message, ring of depth */
  uint64_t last_rt_ns;
  int wantout;        /* EPOLLOUT armed */
} conn_t;

static const char *host = "127.0.0.1";
static int port = 0, nconns = 1, size = 64, depth = 1, idle = 0;
static double warmup = 1.0, duration = 5.0, stall = 3.0;
static int server_pid = 0;
static int ep;
/* Connections opened so far; they are opened CONNECT_BATCH at a time, each
 * batch finishing its first round trips before the next connects. 10,000
 * SYNs at once overflowed every server's accept queue (thousands of
 * TcpExtListenOverflows per run against netpoll, Bun.listen and Deno.listen
 * alike, measured with nstat), and the retries now and then ended in a reset
 * (ECONNRESET on an established connection), failing the idle-memory row. */
enum { CONNECT_BATCH = 256 };
static int nopen = 0;
/* While connections are still opening, one that has had its first round trip
 * sends nothing more until all are open: otherwise the open ones keep the
 * server busy while the next batch waits to be accepted, and a server that
 * favours busy connections over accept put the rest off: Deno's node:net and
 * Deno.listen took 13 s to over 30 s to accept 1000 (docs/PERFORMANCE.md),
 * failing the run before its clock started; with the hold, 0.5 s. */
static int opening = 1;
static conn_t *conns;
static uint8_t *wbuf;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Byte `off` of connection c's stream is tbl[(off + c * 7919) % TBL]: random
 * bytes, so a shifted, lost or duplicated run does not match, and whole runs
 * are sent with memcpy and checked with memcmp (a per-byte formula made the
 * load generator the bottleneck at 16 KiB messages). */
#define TBL (1u << 17)
static uint8_t tbl[TBL];

static inline uint8_t pattern(int c, uint64_t off) {
  return tbl[(off + (uint64_t)c * 7919u) & (TBL - 1)];
}

/* Copies n bytes of connection c's stream from offset off into dst. */
static void fill_pattern(uint8_t *dst, int c, uint64_t off, uint64_t n) {
  while (n > 0) {
    uint64_t i = (off + (uint64_t)c * 7919u) & (TBL - 1);
    uint64_t run = TBL - i < n ? TBL - i : n;
    memcpy(dst, tbl + i, run);
    dst += run;
    off += run;
    n -= run;
  }
}

/* Returns the index of the first byte of src that differs from the stream, or -1. */
static long check_pattern(const uint8_t *src, int c, uint64_t off, uint64_t n) {
  uint64_t done = 0;
  while (done < n) {
    uint64_t i = (off + done + (uint64_t)c * 7919u) & (TBL - 1);
    uint64_t run = TBL - i < n - done ? TBL - i : n - done;
    if (memcmp(src + done, tbl + i, run) != 0) {
      for (uint64_t k = 0; k < run; k++) if (src[done + k] != tbl[i + k]) return (long)(done + k);
    }
    done += run;
  }
  return -1;
}

static void die(const char *what, int c) {
  fprintf(stderr, "loadgen: %s (connection %d, errno %d: %s)\n", what, c, errno, strerror(errno));
  exit(1);
}

static long server_cpu_ticks(void) {
  if (server_pid <= 0) return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may contain spaces */
  if (!p) return -1;
  long utime = 0, stime = 0;
  /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2) return -1;
  return utime + stime;
}

static void arm(conn_t *c, int out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl MOD", (int)(c - conns));
  c->wantout = out;
}

/* Writes what the stream owes (want - sent), filling the pattern. */
static void flush(conn_t *c) {
  int ci = (int)(c - conns);
  while (c->sent < c->want) {
    uint64_t n = c->want - c->sent;
    if (n > (uint64_t)size * (uint64_t)depth) n = (uint64_t)size * (uint64_t)depth;
    fill_pattern(wbuf, ci, c->sent, n);
    ssize_t w = send(c->fd, wbuf, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) {
        if (!c->wantout) arm(c, 1);
        return;
      }
      if (errno == EINTR) continue;
      die("send", ci);
    }
    c->sent += (uint64_t)w;
  }
  if (c->wantout) arm(c, 0);
}

static void send_msg(conn_t *c, uint64_t t) {
  uint64_t k = c->want / (uint64_t)size;
  c->stamps[k % (uint64_t)depth] = t;
  c->want += (uint64_t)size;
}

static uint32_t *lat; /* latency samples in ns, capped */
static size_t nlat, caplat;
static int measuring;

static void on_readable(conn_t *c, uint64_t t) {
  static uint8_t rbuf[1 << 16];
  int ci = (int)(c - conns);
  for (;;) {
    ssize_t r = recv(c->fd, rbuf, sizeof rbuf, 0);
    if (r < 0) {
      if (errno == EAGAIN) return;
      if (errno == EINTR) continue;
      die("recv", ci);
    }
    if (r == 0) {
      errno = 0;
      die("the server closed the connection", ci);
    }
    if (c->recvd + (uint64_t)r > c->sent) {
      errno = 0;
      die("received more bytes than were sent (duplicated data)", ci);
    }
    long bad = check_pattern(rbuf, ci, c->recvd, (uint64_t)r);
    if (bad >= 0) {
      fprintf(stderr, "loadgen: wrong byte at offset %llu of connection %d: got %u, want %u\n",
              (unsigned long long)(c->recvd + (uint64_t)bad), ci, rbuf[bad], pattern(ci, c->recvd + (uint64_t)bad));
      exit(1);
    }
    uint64_t before = c->recvd / (uint64_t)size;
    c->recvd += (uint64_t)r;
    uint64_t after = c->recvd / (uint64_t)size;
    for (uint64_t k = before; k < after; k++) {
      c->rt_total++;
      c->last_rt_ns = t;
      if (measuring) {
        c->rt++;
        uint64_t d = t - c->stamps[k % (uint64_t)depth];
        if (nlat == caplat) {
          caplat = caplat ? caplat * 2 : 1 << 20;
          lat = realloc(lat, caplat * sizeof *lat);
          if (!lat) die("out of memory", ci);
        }
        lat[nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
      }
      if (!idle && !opening) send_msg(c, t);
    }
    if (after > before && !idle && !opening) flush(c);
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  if (nlat == 0) return 0;
  size_t i = (size_t)(p / 100.0 * (double)nlat);
  if (i >= nlat) i = nlat - 1;
  return lat[i] / 1000.0;
}

/* Runs the event loop until `until` (ns). */
static void loop(uint64_t until) {
  struct epoll_event evs[256];
  for (;;) {
    uint64_t t = now_ns();
    if (t >= until) return;
    int n = epoll_wait(ep, evs, 256, 10);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait", -1);
    }
    t = now_ns();
    for (int i = 0; i < n; i++) {
      conn_t *c = &conns[evs[i].data.u32];
      if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        errno = err;
        die(c->connected ? "connection error" : "connect failed", (int)(c - conns));
      }
      if (!c->connected && (evs[i].events & EPOLLOUT)) {
        c->connected = 1;
        for (int k = 0; k < depth; k++) send_msg(c, t);
        c->last_rt_ns = t;
      }
      if (evs[i].events & EPOLLIN) on_readable(c, t);
      if (evs[i].events & EPOLLOUT) flush(c);
    }
    if (stall > 0) {
      for (int i = 0; i < nconns; i++) {
        if (t - conns[i].last_rt_ns > (uint64_t)(stall * 1e9)) return; /* reported by the caller */
      }
    }
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && (++i, 1))
    if (OPT("--host")) host = v;
    else if (OPT("--port")) port = atoi(v);
    else if (OPT("--conns")) nconns = atoi(v);
    else if (OPT("--size")) size = atoi(v);
    else if (OPT("--depth")) depth = atoi(v);
    else if (OPT("--warmup")) warmup = atof(v);
    else if (OPT("--duration")) duration = atof(v);
    else if (OPT("--stall")) stall = atof(v);
    else if (OPT("--pid")) server_pid = atoi(v);
    else if (OPT("--idle")) { idle = 1; nconns = atoi(v); }
    else {
      fprintf(stderr, "usage: loadgen --port P [--host 127.0.0.1] [--conns N] [--size S] [--depth D]\n"
                      "               [--warmup s] [--duration s] [--stall s] [--pid SERVER_PID] | --idle N\n");
      return 2;
    }
  }
  if (port <= 0 || nconns <= 0 || size <= 0 || depth <= 0 || duration <= 0) {
    fprintf(stderr, "loadgen: --port, --conns, --size, --depth and --duration must be positive\n");
    return 2;
  }
  if (idle) depth = 1;
  uint64_t x = 0x9E3779B97F4A7C15ull; /* xorshift64: the same table every run */
  for (unsigned i = 0; i < TBL; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    tbl[i] = (uint8_t)(x >> 32);
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  conns = calloc((size_t)nconns, sizeof *conns);
  wbuf = malloc((size_t)size * (size_t)depth);
  if (ep < 0 || !conns || !wbuf) die("setup", -1);
  struct sockaddr_in6 sa6 = {0};
  struct sockaddr_in sa4 = {0};
  int v6 = strchr(host, ':') != NULL;
  if (v6) { sa6.sin6_family = AF_INET6; sa6.sin6_port = htons((uint16_t)port); inet_pton(AF_INET6, host, &sa6.sin6_addr); }
  else { sa4.sin_family = AF_INET; sa4.sin_port = htons((uint16_t)port); inet_pton(AF_INET, host, &sa4.sin_addr); }
  /* Every connection completes a round trip before any clock starts (bounded: 30 s). */
  uint64_t t0 = now_ns();
  stall = 0;
  while (nopen < nconns) {
    int end = nopen + CONNECT_BATCH < nconns ? nopen + CONNECT_BATCH : nconns;
    for (; nopen < end; nopen++) {
      conn_t *c = &conns[nopen];
      c->stamps = calloc((size_t)depth, sizeof *c->stamps);
      c->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c->fd < 0) die("socket (raise the fd limit?)", nopen);
      int one = 1;
      setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int r = v6 ? connect(c->fd, (struct sockaddr *)&sa6, sizeof sa6) : connect(c->fd, (struct sockaddr *)&sa4, sizeof sa4);
      if (r < 0 && errno != EINPROGRESS) die("connect", nopen);
      struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)nopen};
      if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl ADD", nopen);
      c->wantout = 1;
    }
    for (;;) {
      loop(now_ns() + 100000000ull);
      int first = -1, missing = 0;
      for (int i = 0; i < nopen; i++) if (conns[i].rt_total == 0) { missing++; if (first < 0) first = i; }
      if (missing == 0) break;
      if (now_ns() - t0 > 30000000000ull) {
        static char what[128];
        snprintf(what, sizeof what, "%d of %d open connections never completed a first round trip in 30 s; the first",
                 missing, nopen);
        errno = 0;
        die(what, first);
      }
    }
  }
  /* All open: every connection goes back to --depth messages in flight. */
  opening = 0;
  if (!idle) {
    uint64_t t = now_ns();
    for (int i = 0; i < nconns; i++) {
      conn_t *c = &conns[i];
      while (c->want - c->recvd <= (uint64_t)(depth - 1) * (uint64_t)size) send_msg(c, t);
      flush(c);
    }
  }
  if (idle) {
    printf("IDLE_READY %d\n", nconns);
    fflush(stdout);
    char b[64];
    while (read(0, b, sizeof b) > 0) {}
    return 0;
  }
  double stall_s = 0;
  for (int i = 1; i < argc; i++) if (strcmp(argv[i], "--stall") == 0 && i + 1 < argc) stall_s = atof(argv[i + 1]);
  stall = stall_s > 0 ? stall_s : 3.0;
  uint64_t tw = now_ns();
  for (int i = 0; i < nconns; i++) conns[i].last_rt_ns = tw;
  loop(tw + (uint64_t)(warmup * 1e9));
  for (int i = 0; i < nconns; i++) { conns[i].rt = 0; conns[i].last_rt_ns = now_ns(); }
  nlat = 0;
  measuring = 1;
  long cpu0 = server_cpu_ticks();
  uint64_t m0 = now_ns();
  loop(m0 + (uint64_t)(duration * 1e9));
  uint64_t m1 = now_ns();
  long cpu1 = server_cpu_ticks();
  measuring = 0;
  double secs = (double)(m1 - m0) / 1e9;
  uint64_t total = 0, mn = UINT64_MAX, mx = 0;
  int stalled = 0;
  for (int i = 0; i < nconns; i++) {
    total += conns[i].rt;
    if (conns[i].rt < mn) mn = conns[i].rt;
    if (conns[i].rt > mx) mx = conns[i].rt;
    if (m1 - conns[i].last_rt_ns > (uint64_t)(stall * 1e9)) stalled++;
  }
  qsort(lat, nlat, sizeof *lat, cmp_u32);
  double ticks = (double)sysconf(_SC_CLK_TCK);
  double cpu_us = cpu0 >= 0 && cpu1 >= 0 ? (double)(cpu1 - cpu0) / ticks * 1e6 : -1;
  printf("{\"conns\":%d,\"size\":%d,\"depth\":%d,\"seconds\":%.3f,\"roundTrips\":%llu,\"rps\":%.1f,"
         "\"p50us\":%.2f,\"p99us\":%.2f,\"p999us\":%.2f,\"minPerConn\":%llu,\"maxPerConn\":%llu,"
         "\"fairness\":%.4f,\"serverCpuUs\":%.0f,\"serverCpuUsPerRoundTrip\":%.3f,\"stalled\":%d}\n",
         nconns, size, depth, secs, (unsigned long long)total, (double)total / secs, pct(50), pct(99), pct(99.9),
         (unsigned long long)mn, (unsigned long long)mx, total ? (double)mn / ((double)total / nconns) : 0.0, cpu_us,
         total && cpu_us >= 0 ? cpu_us / (double)total : -1.0, stalled);
  if (stalled) {
    fprintf(stderr, "loadgen: %d of %d connections stalled (no round trip for %.1f s)\n", stalled, nconns, stall);
    return 3;
  }
  return 0;
}
