/*
 * labrig NI-DAQmx simulator library: exports the NI-DAQmx C functions labrig (and NI's own
 * clients) use, with NI's signatures, constants and error codes, over simulated devices.
 *
 * Devices come from the environment variable LABRIG_NIDAQMX_SIM (or labrigSimConfigure), a list
 * separated by ';' of
 *   Dev1:ai=8,ao=2,ports=2,lines=8,range=10,maxRate=1000000   a device
 *   Dev1/ai3=sine:AMP:HZ | square:AMP:HZ | noise:AMP | constant:V | loopback:aoN | counter
 * Default: "Dev1:ai=8,ao=2,ports=3,lines=8". Unless configured, aiN (N < number of AO) is the
 * loop-back of aoN, the others are sines of amplitude 1 V at (N+1) Hz. Digital inputs read the
 * state last written to the same line (loop-back). PFI n is port1/line n (as on X-series cards).
 *
 * Timed tasks run on a C thread per task that produces samples against the real clock into a
 * ring buffer, fires EveryNSamples and Done callbacks on that thread, and flags an overflow
 * (-200279) when the reader falls more than a buffer behind.
 */
#define _GNU_SOURCE
#include "nidaqmx_sim.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* NI error codes (names as in nidaqmx-python's error_codes.py). */
#define E_SAMPLES_NOT_YET_AVAILABLE -200284
#define E_SAMPLES_NO_LONGER_AVAILABLE -200279
#define E_OPERATION_TIMED_OUT -200474
#define E_INVALID_TASK -200088
#define E_DUPLICATE_TASK -200089
#define E_INVALID_DEVICE_ID -200220
#define E_PHYS_CHAN_DOES_NOT_EXIST -200170
#define E_INVALID_SYNTAX_PHYS_CHAN -200086
#define E_INVALID_ATTRIBUTE_VALUE -200077
#define E_READ_BUFFER_TOO_SMALL -200229
#define E_CANNOT_WRITE_NOT_STARTED -200802
#define E_INVALID_AO_DATA_WRITE -200561
#define E_NO_CHANS_IN_TASK -200478
#define E_ATTR_NOT_SUPPORTED -200452
#define E_WRONG_CHAN_TYPE -200525
#define E_RESOURCE_RESERVED -50103
#define E_BUFFER_TOO_SMALL_FOR_STRING -200228
#define E_CANNOT_REGISTER_WHILE_RUNNING -200986

#define MAX_DEV 8
#define MAX_AI 64
#define MAX_AO 16
#define MAX_PORTS 4
#define MAX_CHANS 64
#define MAX_TASKS 1024
#define NAME_LEN 256

enum { SIG_SINE, SIG_SQUARE, SIG_NOISE, SIG_CONST, SIG_LOOPBACK, SIG_COUNTER };
enum { K_NONE, K_AI, K_AO, K_DI, K_DO };

typedef struct { int kind; double a, f; int src; } Signal;

typedef struct {
  char name[64];
  int nai, nao, nports, nlines;
  double range, maxRate;
  Signal sig[MAX_AI];
  double aoValue[MAX_AO];
  void *aoTask[MAX_AO]; /* timed AO task driving the channel, or NULL */
  uInt32 port[MAX_PORTS];
  void *owner[MAX_AI + MAX_AO + MAX_PORTS]; /* running task reserving the channel */
} Device;

typedef struct {
  char phys[NAME_LEN], name[NAME_LEN];
  int kind, dev, index; /* ai/ao number, or port */
  uInt32 mask; int firstLine, nlines;
  int current; double min, max;
} Chan;

typedef struct Task {
  int live;
  char name[NAME_LEN];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  Chan ch[MAX_CHANS];
  int nch, kind;
  int timed; double rate; int32 mode; uInt64 spc;
  int trig; int trigDev, trigLine; int32 trigEdge; int trigLast;
  int running, triggered, done, autoStarted;
  unsigned gen; int threadActive, inCallback; pthread_t thr;
  double *ring; uInt64 bufSize, written, readPos;
  double t0; int overflow;
  DAQmxEveryNSamplesEventCallbackPtr everyCb; uInt32 everyN; void *everyData; uInt64 nextEvery;
  DAQmxDoneEventCallbackPtr doneCb; void *doneData;
  double *aoBuf; uInt64 aoLen;
} Task;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER; /* devices, task table, last error */
static Device g_dev[MAX_DEV];
static int g_ndev = -1;
static Task *g_tasks[MAX_TASKS];
static int g_unnamed = 0;
static char g_lastErr[2048];
static char g_lastChan[NAME_LEN];
static double g_epoch = -1;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void copy_str(char *dst, size_t n, const char *src) {
  if (n == 0) return;
  snprintf(dst, n, "%s", src ? src : "");
}

/* ---------- error text ---------- */

static const char *error_text(int32 code) {
  switch (code) {
  case 0: return "No error.";
  case E_SAMPLES_NOT_YET_AVAILABLE: return "Some or all of the samples requested have not yet been acquired; the read timed out before they arrived.";
  case E_SAMPLES_NO_LONGER_AVAILABLE: return "The samples requested were overwritten in the buffer before they were read: the application is not reading fast enough (buffer overflow).";
  case E_OPERATION_TIMED_OUT: return "The wait for the task to finish timed out.";
  case E_INVALID_TASK: return "The task handle is invalid, or the task was cleared.";
  case E_DUPLICATE_TASK: return "A task with this name already exists.";
  case E_INVALID_DEVICE_ID: return "The device name is not known to the system.";
  case E_PHYS_CHAN_DOES_NOT_EXIST: return "The physical channel does not exist on this device.";
  case E_INVALID_SYNTAX_PHYS_CHAN: return "The physical channel name or range is not valid syntax.";
  case E_INVALID_ATTRIBUTE_VALUE: return "The requested value is not supported for this property.";
  case E_READ_BUFFER_TOO_SMALL: return "The read array is too small for the requested samples.";
  case E_CANNOT_WRITE_NOT_STARTED: return "Cannot write: the task is not started, auto start is false and the task is on-demand.";
  case E_INVALID_AO_DATA_WRITE: return "The analog data written is outside the channel's minimum and maximum.";
  case E_NO_CHANS_IN_TASK: return "The operation needs channels and the task has none.";
  case E_ATTR_NOT_SUPPORTED: return "The property is not supported by the device or not applicable to the task.";
  case E_WRONG_CHAN_TYPE: return "The read or write function does not match the type of the task's channels.";
  case E_RESOURCE_RESERVED: return "The resource is reserved by another running task.";
  case E_BUFFER_TOO_SMALL_FOR_STRING: return "The buffer is too small for the string.";
  case E_CANNOT_REGISTER_WHILE_RUNNING: return "Events cannot be registered or unregistered while the task is running.";
  default: return NULL;
  }
}

static int32 fail(int32 code, const char *fmt, ...) {
  char detail[1024] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
  }
  const char *t = error_text(code);
  pthread_mutex_lock(&g_mu);
  snprintf(g_lastErr, sizeof g_lastErr, "%s\n%s%sStatus Code: %d", t ? t : "Unknown error.", detail, detail[0] ? "\n" : "", code);
  pthread_mutex_unlock(&g_mu);
  return code;
}

int32 DAQmxGetErrorString(int32 errorCode, char errorString[], uInt32 bufferSize) {
  char buf[512];
  const char *t = error_text(errorCode);
  if (t) copy_str(buf, sizeof buf, t);
  else snprintf(buf, sizeof buf, "Error code %d is not known to the labrig NI-DAQmx simulator.", errorCode);
  if (bufferSize == 0 || errorString == NULL) return (int32)strlen(buf) + 1;
  copy_str(errorString, bufferSize, buf);
  return 0;
}

int32 DAQmxGetExtendedErrorInfo(char errorString[], uInt32 bufferSize) {
  pthread_mutex_lock(&g_mu);
  int32 need = (int32)strlen(g_lastErr) + 1;
  if (bufferSize > 0 && errorString) copy_str(errorString, bufferSize, g_lastErr);
  pthread_mutex_unlock(&g_mu);
  return (bufferSize == 0 || errorString == NULL) ? need : 0;
}

/* ---------- device configuration ---------- */

static int parse_signal(Signal *s, const char *spec) {
  char kind[32] = ""; double a = 1, f = 1; int src = 0;
  if (sscanf(spec, "%31[a-z]", kind) != 1) return -1;
  const char *args = strchr(spec, ':');
  if (!strcmp(kind, "sine") || !strcmp(kind, "square")) {
    if (args) sscanf(args, ":%lf:%lf", &a, &f);
    s->kind = kind[1] == 'i' ? SIG_SINE : SIG_SQUARE; s->a = a; s->f = f;
  } else if (!strcmp(kind, "noise")) {
    if (args) sscanf(args, ":%lf", &a);
    s->kind = SIG_NOISE; s->a = a;
  } else if (!strcmp(kind, "constant")) {
    a = 0;
    if (args) sscanf(args, ":%lf", &a);
    s->kind = SIG_CONST; s->a = a;
  } else if (!strcmp(kind, "loopback")) {
    if (!args || sscanf(args, ":ao%d", &src) != 1) return -1;
    s->kind = SIG_LOOPBACK; s->src = src;
  } else if (!strcmp(kind, "counter")) {
    s->kind = SIG_COUNTER;
  } else return -1;
  return 0;
}

static void default_device(Device *d, const char *name) {
  memset(d, 0, sizeof *d);
  copy_str(d->name, sizeof d->name, name);
  d->nai = 8; d->nao = 2; d->nports = 3; d->nlines = 8; d->range = 10; d->maxRate = 1e6;
}

static void default_signals(Device *d) {
  for (int i = 0; i < MAX_AI; i++) {
    if (i < d->nao) { d->sig[i].kind = SIG_LOOPBACK; d->sig[i].src = i; }
    else { d->sig[i].kind = SIG_SINE; d->sig[i].a = 1; d->sig[i].f = i + 1; }
  }
}

static Device *find_dev_locked(const char *name, size_t len) {
  for (int i = 0; i < g_ndev; i++)
    if (strlen(g_dev[i].name) == len && !strncasecmp(g_dev[i].name, name, len)) return &g_dev[i];
  return NULL;
}

/* Parse a configuration; returns 0 or -1 (with the reason in err). Called with g_mu held. */
static int configure_locked(const char *spec, char *err, size_t errLen) {
  Device devs[MAX_DEV]; int n = 0;
  char *copy = strdup(spec ? spec : ""), *save = NULL;
  /* Pass 1: devices. */
  for (char *e = strtok_r(copy, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
    while (*e == ' ') e++;
    if (!*e || strchr(e, '/')) continue;
    char *colon = strchr(e, ':');
    if (colon) *colon = 0;
    if (n == MAX_DEV) { snprintf(err, errLen, "more than %d devices", MAX_DEV); free(copy); return -1; }
    default_device(&devs[n], e);
    if (colon) {
      char *s2 = NULL;
      for (char *kv = strtok_r(colon + 1, ",", &s2); kv; kv = strtok_r(NULL, ",", &s2)) {
        char key[32]; double v;
        if (sscanf(kv, " %31[a-zA-Z]=%lf", key, &v) != 2) { snprintf(err, errLen, "bad setting '%s' of device %s", kv, e); free(copy); return -1; }
        if (!strcmp(key, "ai") && v >= 0 && v <= MAX_AI) devs[n].nai = (int)v;
        else if (!strcmp(key, "ao") && v >= 0 && v <= MAX_AO) devs[n].nao = (int)v;
        else if (!strcmp(key, "ports") && v >= 0 && v <= MAX_PORTS) devs[n].nports = (int)v;
        else if (!strcmp(key, "lines") && v >= 1 && v <= 32) devs[n].nlines = (int)v;
        else if (!strcmp(key, "range") && v > 0) devs[n].range = v;
        else if (!strcmp(key, "maxRate") && v > 0) devs[n].maxRate = v;
        else { snprintf(err, errLen, "bad setting '%s' of device %s", kv, e); free(copy); return -1; }
      }
    }
    default_signals(&devs[n]);
    n++;
  }
  free(copy);
  if (n == 0) { default_device(&devs[0], "Dev1"); default_signals(&devs[0]); n = 1; }
  /* Pass 2: channel signals. */
  copy = strdup(spec ? spec : "");
  save = NULL;
  for (char *e = strtok_r(copy, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
    while (*e == ' ') e++;
    char *slash = strchr(e, '/');
    if (!slash) continue;
    char *eq = strchr(slash, '=');
    int ai;
    if (!eq || sscanf(slash, "/ai%d=", &ai) != 1) { snprintf(err, errLen, "bad channel signal '%s' (Dev1/ai0=sine:1:10)", e); free(copy); return -1; }
    Device *d = NULL;
    for (int i = 0; i < n; i++) if ((size_t)(slash - e) == strlen(devs[i].name) && !strncasecmp(devs[i].name, e, slash - e)) d = &devs[i];
    if (!d || ai < 0 || ai >= d->nai) { snprintf(err, errLen, "no such channel '%.*s'", (int)(eq - e), e); free(copy); return -1; }
    if (parse_signal(&d->sig[ai], eq + 1) != 0) { snprintf(err, errLen, "bad signal '%s' (sine:A:HZ, square:A:HZ, noise:A, constant:V, loopback:aoN, counter)", eq + 1); free(copy); return -1; }
  }
  free(copy);
  memcpy(g_dev, devs, sizeof(Device) * n);
  g_ndev = n;
  return 0;
}

static void ensure_config_locked(void) {
  if (g_ndev >= 0) return;
  char err[256];
  if (g_epoch < 0) g_epoch = now_s();
  if (configure_locked(getenv("LABRIG_NIDAQMX_SIM"), err, sizeof err) != 0) {
    fprintf(stderr, "labrig NI-DAQmx simulator: LABRIG_NIDAQMX_SIM: %s; using Dev1 defaults\n", err);
    configure_locked("", err, sizeof err);
  }
}

static int count_tasks_locked(void) {
  int n = 0;
  for (int i = 0; i < MAX_TASKS; i++) if (g_tasks[i]) n++;
  return n;
}

int32 labrigSimConfigure(const char spec[]) {
  char err[256] = "";
  pthread_mutex_lock(&g_mu);
  ensure_config_locked();
  if (count_tasks_locked() > 0) { pthread_mutex_unlock(&g_mu); return fail(E_RESOURCE_RESERVED, "Clear every task before configuring the simulator."); }
  int r = configure_locked(spec, err, sizeof err);
  pthread_mutex_unlock(&g_mu);
  return r == 0 ? 0 : fail(E_INVALID_ATTRIBUTE_VALUE, "Simulator configuration: %s", err);
}

int32 labrigSimOpenTasks(void) {
  pthread_mutex_lock(&g_mu);
  int n = count_tasks_locked();
  pthread_mutex_unlock(&g_mu);
  return n;
}

int32 labrigSimVersion(char value[], uInt32 size) {
  const char *v = "labrig NI-DAQmx simulator 1.0";
  if (size == 0 || !value) return (int32)strlen(v) + 1;
  copy_str(value, size, v);
  return 0;
}

/* ---------- tasks ---------- */

static Task *task_of(TaskHandle h) {
  if (!h) return NULL;
  Task *found = NULL;
  pthread_mutex_lock(&g_mu);
  for (int i = 0; i < MAX_TASKS; i++) if (g_tasks[i] == (Task *)h && g_tasks[i]->live) found = g_tasks[i];
  pthread_mutex_unlock(&g_mu);
  return found;
}

#define TASK_OR_FAIL(t, h) Task *t = task_of(h); if (!t) return fail(E_INVALID_TASK, "Task handle: %p", (void *)(h))

int32 DAQmxCreateTask(const char taskName[], TaskHandle *taskHandle) {
  if (!taskHandle) return fail(E_INVALID_ATTRIBUTE_VALUE, "taskHandle is NULL.");
  pthread_mutex_lock(&g_mu);
  ensure_config_locked();
  int slot = -1;
  for (int i = 0; i < MAX_TASKS; i++) {
    if (!g_tasks[i]) { if (slot < 0) slot = i; continue; }
    if (taskName && taskName[0] && !strcmp(g_tasks[i]->name, taskName)) {
      pthread_mutex_unlock(&g_mu);
      return fail(E_DUPLICATE_TASK, "Task Name: %s", taskName);
    }
  }
  if (slot < 0) { pthread_mutex_unlock(&g_mu); return fail(E_RESOURCE_RESERVED, "Too many tasks (%d).", MAX_TASKS); }
  Task *t = calloc(1, sizeof *t);
  t->live = 1;
  if (taskName && taskName[0]) copy_str(t->name, sizeof t->name, taskName);
  else snprintf(t->name, sizeof t->name, "_unnamedTask<%d>", g_unnamed++);
  pthread_mutex_init(&t->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &ca);
  g_tasks[slot] = t;
  pthread_mutex_unlock(&g_mu);
  *taskHandle = t;
  return 0;
}

/* Parse "Dev1/ai0", "Dev1/ai0:3", "Dev1/port0/line0:7", "Dev1/port1" into chans. */
static int32 add_chans(Task *t, int kind, const char *list, const char *names, int perLine) {
  if (!list || !*list) return fail(E_INVALID_SYNTAX_PHYS_CHAN, "Physical Channel: (empty)");
  if (t->kind != K_NONE && t->kind != kind) return fail(E_WRONG_CHAN_TYPE, "Task Name: %s\nA task holds channels of one type.", t->name);
  if (t->running) return fail(E_RESOURCE_RESERVED, "Task Name: %s\nStop the task before adding channels.", t->name);
  char *copy = strdup(list), *save = NULL;
  Chan added[MAX_CHANS]; int na = 0;
  int32 rc = 0;
  for (char *e = strtok_r(copy, ",", &save); e && rc == 0; e = strtok_r(NULL, ",", &save)) {
    while (*e == ' ') e++;
    char *end = e + strlen(e);
    while (end > e && end[-1] == ' ') *--end = 0;
    if (*e == '/') e++;
    char *slash = strchr(e, '/');
    if (!slash) { rc = fail(E_INVALID_SYNTAX_PHYS_CHAN, "Physical Channel: %s", e); break; }
    pthread_mutex_lock(&g_mu);
    Device *d = find_dev_locked(e, slash - e);
    int di = d ? (int)(d - g_dev) : -1;
    Device dc; if (d) dc = *d;
    pthread_mutex_unlock(&g_mu);
    if (!d) { rc = fail(E_INVALID_DEVICE_ID, "Device Specified: %.*s", (int)(slash - e), e); break; }
    const char *rest = slash + 1;
    int a, b, n = 0;
    if (kind == K_AI || kind == K_AO) {
      const char *pre = kind == K_AI ? "ai" : "ao";
      int max = kind == K_AI ? dc.nai : dc.nao;
      char tail;
      if (strncmp(rest, pre, 2) != 0) { rc = fail(E_PHYS_CHAN_DOES_NOT_EXIST, "Physical Channel: %s", e); break; }
      n = sscanf(rest + 2, "%d:%d%c", &a, &b, &tail);
      if (n == 1) b = a;
      else if (n != 2) { rc = fail(E_INVALID_SYNTAX_PHYS_CHAN, "Physical Channel: %s", e); break; }
      int lo = a < b ? a : b, hi = a < b ? b : a;
      if (lo < 0 || hi >= max) { rc = fail(E_PHYS_CHAN_DOES_NOT_EXIST, "Physical Channel: %s\nDevice %s has %s0:%d.", e, dc.name, pre, max - 1); break; }
      for (int i = a;; i += (a <= b ? 1 : -1)) {
        if (na == MAX_CHANS) { rc = fail(E_INVALID_SYNTAX_PHYS_CHAN, "Too many channels."); break; }
        Chan *c = &added[na++];
        memset(c, 0, sizeof *c);
        snprintf(c->phys, sizeof c->phys, "%s/%s%d", dc.name, pre, i);
        c->kind = kind; c->dev = di; c->index = i;
        if (i == b) break;
      }
    } else {
      int port, l0 = -1, l1 = -1;
      char tail;
      n = sscanf(rest, "port%d/line%d:%d%c", &port, &l0, &l1, &tail);
      if (n < 1) { rc = fail(E_INVALID_SYNTAX_PHYS_CHAN, "Lines: %s", e); break; }
      if (n == 1 && strchr(rest, '/')) { rc = fail(E_INVALID_SYNTAX_PHYS_CHAN, "Lines: %s", e); break; }
      if (n == 1) { l0 = 0; l1 = dc.nlines - 1; }
      else if (n == 2) l1 = l0;
      else if (n != 3) { rc = fail(E_INVALID_SYNTAX_PHYS_CHAN, "Lines: %s", e); break; }
      int lo = l0 < l1 ? l0 : l1, hi = l0 < l1 ? l1 : l0;
      if (port < 0 || port >= dc.nports || lo < 0 || hi >= dc.nlines) { rc = fail(E_PHYS_CHAN_DOES_NOT_EXIST, "Lines: %s\nDevice %s has port0:%d with line0:%d.", e, dc.name, dc.nports - 1, dc.nlines - 1); break; }
      if (perLine) {
        for (int l = lo; l <= hi && na < MAX_CHANS; l++) {
          Chan *c = &added[na++];
          memset(c, 0, sizeof *c);
          snprintf(c->phys, sizeof c->phys, "%s/port%d/line%d", dc.name, port, l);
          c->kind = kind; c->dev = di; c->index = port; c->firstLine = l; c->nlines = 1; c->mask = 1u << l;
        }
      } else {
        Chan *c = &added[na++];
        memset(c, 0, sizeof *c);
        copy_str(c->phys, sizeof c->phys, e);
        c->kind = kind; c->dev = di; c->index = port; c->firstLine = lo; c->nlines = hi - lo + 1;
        c->mask = (hi - lo + 1 >= 32 ? 0xffffffffu : ((1u << (hi - lo + 1)) - 1)) << lo;
      }
    }
  }
  free(copy);
  if (rc != 0) return rc;
  /* Names: a comma list, one per channel; a single name with several channels gets numbered. */
  char *ncopy = strdup(names ? names : ""), *nsave = NULL;
  int ni = 0;
  char *nm = strtok_r(ncopy, ",", &nsave);
  for (int i = 0; i < na; i++) {
    while (nm && *nm == ' ') nm++;
    if (nm && *nm) {
      if (na > 1 && ni == 0 && !strchr(names, ',')) snprintf(added[i].name, sizeof added[i].name, "%s%d", nm, i);
      else copy_str(added[i].name, sizeof added[i].name, nm);
    } else copy_str(added[i].name, sizeof added[i].name, added[i].phys);
    if (strchr(names ? names : "", ',')) { nm = strtok_r(NULL, ",", &nsave); ni++; }
  }
  free(ncopy);
  if (t->nch + na > MAX_CHANS) return fail(E_INVALID_SYNTAX_PHYS_CHAN, "Too many channels in task %s.", t->name);
  for (int i = 0; i < na; i++) {
    for (int j = 0; j < t->nch; j++)
      if (!strcasecmp(t->ch[j].name, added[i].name)) return fail(E_INVALID_ATTRIBUTE_VALUE, "Channel name %s is already in task %s.", added[i].name, t->name);
  }
  memcpy(&t->ch[t->nch], added, sizeof(Chan) * na);
  t->nch += na;
  t->kind = kind;
  pthread_mutex_lock(&g_mu);
  copy_str(g_lastChan, sizeof g_lastChan, added[na - 1].name);
  pthread_mutex_unlock(&g_mu);
  return 0;
}

static int32 set_range(Task *t, int from, double lo, double hi, double limit, int current) {
  for (int i = from; i < t->nch; i++) { t->ch[i].min = lo; t->ch[i].max = hi; t->ch[i].current = current; }
  (void)limit;
  return 0;
}

static int32 check_range(const char *what, const char *phys, double lo, double hi, double limit, const char *units) {
  if (!(lo < hi) || lo < -limit || hi > limit)
    return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: %s\nRequested: %g..%g %s\nPossible: within -%g..%g %s, minimum below maximum\nPhysical Channel: %s", what, lo, hi, units, limit, limit, units, phys);
  return 0;
}

int32 DAQmxCreateAIVoltageChan(TaskHandle h, const char physicalChannel[], const char nameToAssignToChannel[], int32 terminalConfig, float64 minVal, float64 maxVal, int32 units, const char customScaleName[]) {
  TASK_OR_FAIL(t, h);
  (void)customScaleName;
  if (terminalConfig != DAQmx_Val_Cfg_Default && terminalConfig != DAQmx_Val_RSE && terminalConfig != DAQmx_Val_NRSE && terminalConfig != DAQmx_Val_Diff && terminalConfig != DAQmx_Val_PseudoDiff)
    return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: terminalConfig\nRequested: %d", terminalConfig);
  if (units != DAQmx_Val_Volts) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: units\nRequested: %d\nPossible: %d (Volts)", units, DAQmx_Val_Volts);
  pthread_mutex_lock(&t->mu);
  int from = t->nch;
  int32 rc = add_chans(t, K_AI, physicalChannel, nameToAssignToChannel, 0);
  if (rc == 0) {
    double limit = g_dev[t->ch[from].dev].range;
    rc = check_range("AI.Max/AI.Min", physicalChannel, minVal, maxVal, limit, "V");
    if (rc == 0) set_range(t, from, minVal, maxVal, limit, 0);
    else t->nch = from;
  }
  if (t->nch == 0) t->kind = K_NONE;
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxCreateAICurrentChan(TaskHandle h, const char physicalChannel[], const char nameToAssignToChannel[], int32 terminalConfig, float64 minVal, float64 maxVal, int32 units, int32 shuntResistorLoc, float64 extShuntResistorVal, const char customScaleName[]) {
  TASK_OR_FAIL(t, h);
  (void)customScaleName;
  if (terminalConfig != DAQmx_Val_Cfg_Default && terminalConfig != DAQmx_Val_RSE && terminalConfig != DAQmx_Val_NRSE && terminalConfig != DAQmx_Val_Diff && terminalConfig != DAQmx_Val_PseudoDiff)
    return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: terminalConfig\nRequested: %d", terminalConfig);
  if (units != DAQmx_Val_Amps) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: units\nRequested: %d\nPossible: %d (Amps)", units, DAQmx_Val_Amps);
  if (shuntResistorLoc != DAQmx_Val_Default && shuntResistorLoc != DAQmx_Val_Internal && shuntResistorLoc != DAQmx_Val_External)
    return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: shuntResistorLoc\nRequested: %d", shuntResistorLoc);
  if (shuntResistorLoc == DAQmx_Val_External && !(extShuntResistorVal > 0))
    return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: extShuntResistorVal\nRequested: %g", extShuntResistorVal);
  pthread_mutex_lock(&t->mu);
  int from = t->nch;
  int32 rc = add_chans(t, K_AI, physicalChannel, nameToAssignToChannel, 0);
  if (rc == 0) {
    double limit = g_dev[t->ch[from].dev].range / 500.0; /* 10 V range -> 20 mA */
    rc = check_range("AI.Max/AI.Min", physicalChannel, minVal, maxVal, limit, "A");
    if (rc == 0) set_range(t, from, minVal, maxVal, limit, 1);
    else t->nch = from;
  }
  if (t->nch == 0) t->kind = K_NONE;
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxCreateAOVoltageChan(TaskHandle h, const char physicalChannel[], const char nameToAssignToChannel[], float64 minVal, float64 maxVal, int32 units, const char customScaleName[]) {
  TASK_OR_FAIL(t, h);
  (void)customScaleName;
  if (units != DAQmx_Val_Volts) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: units\nRequested: %d\nPossible: %d (Volts)", units, DAQmx_Val_Volts);
  pthread_mutex_lock(&t->mu);
  int from = t->nch;
  int32 rc = add_chans(t, K_AO, physicalChannel, nameToAssignToChannel, 0);
  if (rc == 0) {
    double limit = g_dev[t->ch[from].dev].range;
    rc = check_range("AO.Max/AO.Min", physicalChannel, minVal, maxVal, limit, "V");
    if (rc == 0) set_range(t, from, minVal, maxVal, limit, 0);
    else t->nch = from;
  }
  if (t->nch == 0) t->kind = K_NONE;
  pthread_mutex_unlock(&t->mu);
  return rc;
}

static int32 create_dio(TaskHandle h, int kind, const char lines[], const char names[], int32 grouping) {
  TASK_OR_FAIL(t, h);
  if (grouping != DAQmx_Val_ChanPerLine && grouping != DAQmx_Val_ChanForAllLines) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: lineGrouping\nRequested: %d", grouping);
  pthread_mutex_lock(&t->mu);
  int32 rc = add_chans(t, kind, lines, names, grouping == DAQmx_Val_ChanPerLine);
  if (t->nch == 0) t->kind = K_NONE;
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxCreateDIChan(TaskHandle h, const char lines[], const char nameToAssignToLines[], int32 lineGrouping) {
  return create_dio(h, K_DI, lines, nameToAssignToLines, lineGrouping);
}

int32 DAQmxCreateDOChan(TaskHandle h, const char lines[], const char nameToAssignToLines[], int32 lineGrouping) {
  return create_dio(h, K_DO, lines, nameToAssignToLines, lineGrouping);
}

int32 DAQmxCfgSampClkTiming(TaskHandle h, const char source[], float64 rate, int32 activeEdge, int32 sampleMode, uInt64 sampsPerChan) {
  TASK_OR_FAIL(t, h);
  if (source && source[0] && strcasecmp(source, "OnboardClock") != 0) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: SampClk.Src\nRequested: %s\nPossible: OnboardClock (the simulator has no external clocks)", source);
  if (activeEdge != DAQmx_Val_Rising && activeEdge != DAQmx_Val_Falling) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: SampClk.ActiveEdge\nRequested: %d", activeEdge);
  if (sampleMode != DAQmx_Val_FiniteSamps && sampleMode != DAQmx_Val_ContSamps) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: SampQuant.SampMode\nRequested: %d", sampleMode);
  pthread_mutex_lock(&t->mu);
  int32 rc = 0;
  double maxRate = t->nch > 0 ? g_dev[t->ch[0].dev].maxRate : 1e6;
  if (t->running) rc = fail(E_RESOURCE_RESERVED, "Task Name: %s\nStop the task before changing its timing.", t->name);
  else if (t->kind == K_DI || t->kind == K_DO) rc = fail(E_ATTR_NOT_SUPPORTED, "Property: SampTimingType\nTask Name: %s\nThe simulator's digital lines are on-demand only.", t->name);
  else if (!(rate > 0) || rate > maxRate) rc = fail(E_INVALID_ATTRIBUTE_VALUE, "Property: SampClk.Rate\nRequested: %g\nPossible: above 0 and up to %g S/s", rate, maxRate);
  else if (sampleMode == DAQmx_Val_FiniteSamps && (sampsPerChan < 2 || sampsPerChan > (1ull << 32))) rc = fail(E_INVALID_ATTRIBUTE_VALUE, "Property: SampQuant.SampPerChan\nRequested: %llu\nPossible: 2..4294967296", sampsPerChan);
  else { t->timed = 1; t->rate = rate; t->mode = sampleMode; t->spc = sampsPerChan; }
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxCfgDigEdgeStartTrig(TaskHandle h, const char triggerSource[], int32 triggerEdge) {
  TASK_OR_FAIL(t, h);
  if (triggerEdge != DAQmx_Val_Rising && triggerEdge != DAQmx_Val_Falling) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: DigEdge.StartTrig.Edge\nRequested: %d", triggerEdge);
  const char *s = triggerSource ? triggerSource : "";
  if (*s == '/') s++;
  const char *slash = strchr(s, '/');
  int pfi;
  if (!slash || sscanf(slash + 1, "PFI%d", &pfi) != 1) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: DigEdge.StartTrig.Src\nRequested: %s\nPossible: /DevN/PFIn", triggerSource ? triggerSource : "(null)");
  pthread_mutex_lock(&g_mu);
  Device *d = find_dev_locked(s, slash - s);
  int di = d ? (int)(d - g_dev) : -1, lines = d ? d->nlines : 0, ports = d ? d->nports : 0;
  pthread_mutex_unlock(&g_mu);
  if (!d) return fail(E_INVALID_DEVICE_ID, "Device Specified: %.*s", (int)(slash - s), s);
  if (ports < 2 || pfi < 0 || pfi >= lines) return fail(E_PHYS_CHAN_DOES_NOT_EXIST, "Terminal: %s\nPFI n is port1/line n.", triggerSource);
  pthread_mutex_lock(&t->mu);
  t->trig = 1; t->trigDev = di; t->trigLine = pfi; t->trigEdge = triggerEdge;
  pthread_mutex_unlock(&t->mu);
  return 0;
}

/* ---------- signals ---------- */

static double ao_at_locked(Device *d, int ch, double tAbs) {
  Task *ao = d->aoTask[ch];
  if (ao && ao->aoBuf && ao->aoLen > 0 && ao->triggered) {
    double k = floor((tAbs - ao->t0) * ao->rate + 1e-9);
    if (k < 0) return d->aoValue[ch];
    uInt64 i = (uInt64)k;
    if (ao->mode == DAQmx_Val_FiniteSamps && i >= ao->spc) i = ao->spc - 1;
    i %= ao->aoLen;
    for (int c = 0; c < ao->nch; c++) if (ao->ch[c].index == ch) return ao->aoBuf[i * ao->nch + c];
  }
  return d->aoValue[ch];
}

static uint64_t mix(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
  return x;
}

/* Value of AI channel c of device d at time tAbs (seconds, monotonic), sample number k. */
static double ai_value_locked(const Chan *c, double tAbs, uInt64 k) {
  Device *d = &g_dev[c->dev];
  const Signal *s = &d->sig[c->index];
  double t = tAbs - g_epoch, v;
  switch (s->kind) {
  case SIG_SINE: v = s->a * sin(2 * M_PI * s->f * t); break;
  case SIG_SQUARE: v = fmod(t * s->f, 1.0) < 0.5 ? s->a : -s->a; break;
  case SIG_NOISE: v = s->a * ((double)(mix(k * 1315423911ULL + c->index + 1) >> 11) / 9007199254740992.0 * 2 - 1); break;
  case SIG_CONST: v = s->a; break;
  case SIG_LOOPBACK: v = s->src < d->nao ? ao_at_locked(d, s->src, tAbs) : 0; break;
  case SIG_COUNTER: return (double)k;
  default: v = 0;
  }
  if (c->current) v /= 500.0; /* 10 V full scale reads as 20 mA */
  if (v > c->max) v = c->max;
  if (v < c->min) v = c->min;
  return v;
}

/* ---------- acquisition thread ---------- */

static uInt64 default_buffer(double rate) {
  if (rate <= 100) return 1000;
  if (rate <= 10000) return 10000;
  if (rate <= 1000000) return 100000;
  return 1000000;
}

static void sleep_ms(double ms) {
  struct timespec ts = { (time_t)(ms / 1000), (long)(fmod(ms, 1000) * 1e6) };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

static int line_state(int dev, int pfi) {
  pthread_mutex_lock(&g_mu);
  int v = (g_dev[dev].port[1] >> pfi) & 1;
  pthread_mutex_unlock(&g_mu);
  return v;
}

typedef struct { Task *t; unsigned gen; } ThreadArg;

static void *acq_thread(void *p) {
  ThreadArg a = *(ThreadArg *)p;
  free(p);
  Task *t = a.t;
  for (;;) {
    int fires = 0, doneNow = 0;
    int32 doneStatus = 0;
    pthread_mutex_lock(&t->mu);
    if (!t->running || t->gen != a.gen) { pthread_mutex_unlock(&t->mu); break; }
    double now = now_s();
    if (!t->triggered) {
      int v = line_state(t->trigDev, t->trigLine);
      int edge = t->trigEdge == DAQmx_Val_Rising ? (!t->trigLast && v) : (t->trigLast && !v);
      t->trigLast = v;
      if (edge) {
        t->triggered = 1;
        t->t0 = now;
        if (t->kind == K_AO) {
          pthread_mutex_lock(&g_mu);
          for (int c = 0; c < t->nch; c++) g_dev[t->ch[c].dev].aoTask[t->ch[c].index] = t;
          pthread_mutex_unlock(&g_mu);
        }
      }
    }
    if (t->triggered && t->kind == K_AI) {
      double target = floor((now - t->t0) * t->rate);
      uInt64 upTo = target < 0 ? 0 : (uInt64)target;
      if (t->mode == DAQmx_Val_FiniteSamps && upTo > t->spc) upTo = t->spc;
      if (upTo > t->written) {
        uInt64 from = t->written;
        if (upTo - from > t->bufSize) from = upTo - t->bufSize; /* older ones would be overwritten anyway */
        pthread_mutex_lock(&g_mu);
        for (uInt64 k = from; k < upTo; k++) {
          double ts = t->t0 + k / t->rate;
          double *row = t->ring + (k % t->bufSize) * t->nch;
          for (int c = 0; c < t->nch; c++) row[c] = ai_value_locked(&t->ch[c], ts, k);
        }
        pthread_mutex_unlock(&g_mu);
        t->written = upTo;
        if (t->written - t->readPos > t->bufSize) t->overflow = 1;
        while (t->everyCb && t->written >= t->nextEvery) { fires++; t->nextEvery += t->everyN; }
        pthread_cond_broadcast(&t->cv);
      }
      if (t->mode == DAQmx_Val_FiniteSamps && t->written >= t->spc && !t->done) { t->done = 1; doneNow = 1; }
    } else if (t->triggered && t->kind == K_AO && t->mode == DAQmx_Val_FiniteSamps && !t->done) {
      if ((now - t->t0) * t->rate >= (double)t->spc) { t->done = 1; doneNow = 1; }
    }
    if (doneNow) { doneStatus = t->overflow ? E_SAMPLES_NO_LONGER_AVAILABLE : 0; pthread_cond_broadcast(&t->cv); }
    DAQmxEveryNSamplesEventCallbackPtr every = t->everyCb;
    DAQmxDoneEventCallbackPtr doneCb = t->doneCb;
    void *everyData = t->everyData, *doneData = t->doneData;
    uInt32 n = t->everyN;
    if ((fires && every) || (doneNow && doneCb)) t->inCallback = 1;
    pthread_mutex_unlock(&t->mu);
    for (int i = 0; i < fires && every; i++) {
      pthread_mutex_lock(&t->mu);
      int live = t->running && t->gen == a.gen;
      pthread_mutex_unlock(&t->mu);
      if (!live) break; /* stopped meanwhile: no more events */
      every(t, DAQmx_Val_Acquired_Into_Buffer, n, everyData);
    }
    if (doneNow && doneCb) doneCb(t, doneStatus, doneData);
    pthread_mutex_lock(&t->mu);
    t->inCallback = 0;
    int stop = doneNow || !t->running || t->gen != a.gen;
    pthread_mutex_unlock(&t->mu);
    if (stop) break;
    sleep_ms(t->triggered ? 1 : 0.2);
  }
  return NULL;
}

static int32 reserve(Task *t, int on) {
  pthread_mutex_lock(&g_mu);
  if (on) {
    for (int c = 0; c < t->nch; c++) {
      Device *d = &g_dev[t->ch[c].dev];
      int slot = t->ch[c].kind == K_AI ? t->ch[c].index : t->ch[c].kind == K_AO ? MAX_AI + t->ch[c].index : -1;
      if (slot >= 0 && d->owner[slot] && d->owner[slot] != t) {
        pthread_mutex_unlock(&g_mu);
        return fail(E_RESOURCE_RESERVED, "Resource: %s\nTask Name: %s\nAnother running task uses the channel.", t->ch[c].phys, t->name);
      }
    }
  }
  for (int c = 0; c < t->nch; c++) {
    Device *d = &g_dev[t->ch[c].dev];
    int slot = t->ch[c].kind == K_AI ? t->ch[c].index : t->ch[c].kind == K_AO ? MAX_AI + t->ch[c].index : -1;
    if (slot >= 0) d->owner[slot] = on ? t : NULL;
  }
  pthread_mutex_unlock(&g_mu);
  return 0;
}

/* Start with t->mu held. */
static int32 start_locked(Task *t) {
  if (t->running) return 0;
  if (t->nch == 0) return fail(E_NO_CHANS_IN_TASK, "Task Name: %s", t->name);
  if (t->kind == K_AO && t->timed && !t->aoBuf) return fail(E_CANNOT_WRITE_NOT_STARTED, "Task Name: %s\nWrite a waveform before starting a timed analog output task.", t->name);
  int32 rc = reserve(t, 1);
  if (rc) return rc;
  t->running = 1; t->done = 0; t->overflow = 0; t->written = 0; t->readPos = 0;
  t->triggered = !t->trig;
  t->trigLast = t->trig ? line_state(t->trigDev, t->trigLine) : 0;
  t->t0 = now_s();
  t->gen++;
  if (!t->timed) return 0;
  if (t->kind == K_AI) {
    uInt64 size = default_buffer(t->rate);
    if (t->mode == DAQmx_Val_FiniteSamps) size = t->spc;
    else if (t->spc > size) size = t->spc;
    free(t->ring);
    t->ring = malloc(sizeof(double) * size * t->nch);
    if (!t->ring) { t->running = 0; reserve(t, 0); return fail(E_RESOURCE_RESERVED, "Out of memory for %llu samples.", size); }
    t->bufSize = size;
    t->nextEvery = t->everyN ? t->everyN : (uInt64)-1;
  }
  if (t->kind == K_AO && t->triggered) {
    pthread_mutex_lock(&g_mu);
    for (int c = 0; c < t->nch; c++) g_dev[t->ch[c].dev].aoTask[t->ch[c].index] = t;
    pthread_mutex_unlock(&g_mu);
  }
  ThreadArg *a = malloc(sizeof *a);
  a->t = t; a->gen = t->gen;
  if (pthread_create(&t->thr, NULL, acq_thread, a) != 0) { free(a); t->running = 0; reserve(t, 0); return fail(E_RESOURCE_RESERVED, "Cannot start the sample clock thread."); }
  t->threadActive = 1;
  return 0;
}

/* Stop with t->mu held; releases and retakes the lock to join the thread. */
static void stop_locked(Task *t) {
  if (!t->running) return;
  if (t->kind == K_AO && t->timed) {
    double now = now_s();
    pthread_mutex_lock(&g_mu);
    for (int c = 0; c < t->nch; c++) {
      Device *d = &g_dev[t->ch[c].dev];
      if (d->aoTask[t->ch[c].index] == t) { d->aoValue[t->ch[c].index] = ao_at_locked(d, t->ch[c].index, now); d->aoTask[t->ch[c].index] = NULL; }
    }
    pthread_mutex_unlock(&g_mu);
  }
  t->running = 0;
  t->autoStarted = 0;
  pthread_cond_broadcast(&t->cv);
  if (t->threadActive) {
    t->threadActive = 0;
    pthread_t thr = t->thr;
    if (pthread_equal(thr, pthread_self())) pthread_detach(thr); /* stopped from its own callback */
    else if (t->inCallback) pthread_detach(thr); /* its callback waits for the caller's thread: never join it */
    else { pthread_mutex_unlock(&t->mu); pthread_join(thr, NULL); pthread_mutex_lock(&t->mu); }
  }
  reserve(t, 0);
}

int32 DAQmxStartTask(TaskHandle h) {
  TASK_OR_FAIL(t, h);
  pthread_mutex_lock(&t->mu);
  int32 rc = t->running ? 0 : start_locked(t);
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxStopTask(TaskHandle h) {
  TASK_OR_FAIL(t, h);
  pthread_mutex_lock(&t->mu);
  stop_locked(t);
  pthread_mutex_unlock(&t->mu);
  return 0;
}

int32 DAQmxClearTask(TaskHandle h) {
  TASK_OR_FAIL(t, h);
  pthread_mutex_lock(&t->mu);
  stop_locked(t);
  t->live = 0;
  free(t->ring); t->ring = NULL;
  pthread_mutex_lock(&g_mu);
  for (int i = 0; i < MAX_TASKS; i++) if (g_tasks[i] == t) g_tasks[i] = NULL;
  free(t->aoBuf); t->aoBuf = NULL; t->aoLen = 0;
  pthread_mutex_unlock(&g_mu);
  pthread_mutex_unlock(&t->mu);
  /* The Task struct itself is kept (never freed) so a detached thread or a stale handle stays safe. */
  return 0;
}

int32 DAQmxTaskControl(TaskHandle h, int32 action) {
  TASK_OR_FAIL(t, h);
  switch (action) {
  case DAQmx_Val_Task_Start: return DAQmxStartTask(h);
  case DAQmx_Val_Task_Stop: case DAQmx_Val_Task_Abort: return DAQmxStopTask(h);
  case DAQmx_Val_Task_Verify: case DAQmx_Val_Task_Commit: case DAQmx_Val_Task_Reserve: case DAQmx_Val_Task_Unreserve:
    return t->nch == 0 && action != DAQmx_Val_Task_Unreserve ? fail(E_NO_CHANS_IN_TASK, "Task Name: %s", t->name) : 0;
  default: return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: action\nRequested: %d", action);
  }
}

int32 DAQmxIsTaskDone(TaskHandle h, bool32 *isTaskDone) {
  TASK_OR_FAIL(t, h);
  pthread_mutex_lock(&t->mu);
  int done = !t->running || t->done;
  int overflow = t->overflow;
  pthread_mutex_unlock(&t->mu);
  if (isTaskDone) *isTaskDone = done;
  return overflow ? fail(E_SAMPLES_NO_LONGER_AVAILABLE, "Task Name: %s", t->name) : 0;
}

static void deadline_ts(struct timespec *ts, double timeout) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  double s = ts->tv_sec + ts->tv_nsec * 1e-9 + timeout;
  ts->tv_sec = (time_t)s;
  ts->tv_nsec = (long)((s - floor(s)) * 1e9);
}

int32 DAQmxWaitUntilTaskDone(TaskHandle h, float64 timeToWait) {
  TASK_OR_FAIL(t, h);
  struct timespec dl;
  deadline_ts(&dl, timeToWait < 0 ? 1e9 : timeToWait);
  pthread_mutex_lock(&t->mu);
  int32 rc = 0;
  while (t->running && !t->done) {
    if (t->timed && t->mode == DAQmx_Val_ContSamps) break;
    if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) == ETIMEDOUT) { rc = fail(E_OPERATION_TIMED_OUT, "Task Name: %s\nWaited %g s.", t->name, timeToWait); break; }
  }
  if (rc == 0 && t->running && t->timed && t->mode == DAQmx_Val_ContSamps) {
    /* A continuous task is never done: wait out the timeout. */
    while (t->running && pthread_cond_timedwait(&t->cv, &t->mu, &dl) != ETIMEDOUT) {}
    if (t->running) rc = fail(E_OPERATION_TIMED_OUT, "Task Name: %s\nA continuous task does not finish by itself.", t->name);
  }
  if (rc == 0 && t->overflow) rc = fail(E_SAMPLES_NO_LONGER_AVAILABLE, "Task Name: %s", t->name);
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxRegisterEveryNSamplesEvent(TaskHandle h, int32 type, uInt32 nSamples, uInt32 options, DAQmxEveryNSamplesEventCallbackPtr cb, void *data) {
  TASK_OR_FAIL(t, h);
  (void)options;
  if (type != DAQmx_Val_Acquired_Into_Buffer) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: everyNsamplesEventType\nRequested: %d\nPossible: %d (Acquired_Into_Buffer)", type, DAQmx_Val_Acquired_Into_Buffer);
  if (cb && nSamples == 0) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: nSamples\nRequested: 0");
  pthread_mutex_lock(&t->mu);
  int32 rc = 0;
  if (t->running) rc = fail(E_CANNOT_REGISTER_WHILE_RUNNING, "Task Name: %s", t->name);
  else { t->everyCb = cb; t->everyN = cb ? nSamples : 0; t->everyData = data; }
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxRegisterDoneEvent(TaskHandle h, uInt32 options, DAQmxDoneEventCallbackPtr cb, void *data) {
  TASK_OR_FAIL(t, h);
  (void)options;
  pthread_mutex_lock(&t->mu);
  int32 rc = 0;
  if (t->running) rc = fail(E_CANNOT_REGISTER_WHILE_RUNNING, "Task Name: %s", t->name);
  else { t->doneCb = cb; t->doneData = data; }
  pthread_mutex_unlock(&t->mu);
  return rc;
}

/* ---------- reads and writes ---------- */

static int32 read_f64(Task *t, int32 n, double timeout, bool32 fill, double *arr, uInt32 size, int32 *got) {
  if (got) *got = 0;
  if (t->nch == 0) return fail(E_NO_CHANS_IN_TASK, "Task Name: %s", t->name);
  if (t->kind != K_AI) return fail(E_WRONG_CHAN_TYPE, "Task Name: %s\nDAQmxReadAnalogF64 needs analog input channels.", t->name);
  if (fill != DAQmx_Val_GroupByChannel && fill != DAQmx_Val_GroupByScanNumber) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: fillMode\nRequested: %u", fill);
  if (n < -1) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: numSampsPerChan\nRequested: %d", n);
  pthread_mutex_lock(&t->mu);
  if (!t->timed) {
    int32 want = n == -1 ? 1 : n;
    if ((uInt64)want * t->nch > size) { pthread_mutex_unlock(&t->mu); return fail(E_READ_BUFFER_TOO_SMALL, "Requested: %d samples x %d channels\nArray size: %u", want, t->nch, size); }
    pthread_mutex_lock(&g_mu);
    double now = now_s();
    static uInt64 k = 0;
    for (int32 i = 0; i < want; i++, k++)
      for (int c = 0; c < t->nch; c++) arr[fill ? (uInt64)i * t->nch + c : (uInt64)c * want + i] = ai_value_locked(&t->ch[c], now, k);
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_unlock(&t->mu);
    if (got) *got = want;
    return 0;
  }
  int32 rc = 0;
  if (!t->running) { /* NI's auto start: a read starts the task */
    rc = start_locked(t);
    if (rc) { pthread_mutex_unlock(&t->mu); return rc; }
    t->autoStarted = 1;
  }
  if (t->overflow || t->written - t->readPos > t->bufSize) { /* checked first: an overflowed buffer has nothing valid to size */
    t->overflow = 1;
    uInt64 pos = t->readPos, acq = t->written, buf = t->bufSize;
    pthread_mutex_unlock(&t->mu);
    return fail(E_SAMPLES_NO_LONGER_AVAILABLE, "Task Name: %s\nRead position: %llu\nSamples acquired: %llu\nBuffer: %llu samples per channel", t->name, pos, acq, buf);
  }
  uInt64 want;
  if (n == -1) want = t->mode == DAQmx_Val_FiniteSamps ? t->spc - t->readPos : t->written - t->readPos;
  else want = (uInt64)n;
  if (t->mode == DAQmx_Val_FiniteSamps && t->readPos + want > t->spc) want = t->spc - t->readPos;
  if (want * t->nch > size) { pthread_mutex_unlock(&t->mu); return fail(E_READ_BUFFER_TOO_SMALL, "Requested: %llu samples x %d channels\nArray size: %u", want, t->nch, size); }
  struct timespec dl;
  deadline_ts(&dl, timeout < 0 ? 1e9 : timeout);
  while (!t->overflow && t->running && t->written - t->readPos < want) {
    if (timeout == 0 || pthread_cond_timedwait(&t->cv, &t->mu, &dl) == ETIMEDOUT) break;
  }
  if (t->overflow || t->written - t->readPos > t->bufSize) {
    t->overflow = 1;
    uInt64 pos = t->readPos, acq = t->written, buf = t->bufSize;
    pthread_mutex_unlock(&t->mu);
    return fail(E_SAMPLES_NO_LONGER_AVAILABLE, "Task Name: %s\nRead position: %llu\nSamples acquired: %llu\nBuffer: %llu samples per channel", t->name, pos, acq, buf);
  }
  uInt64 avail = t->written - t->readPos, take = avail < want ? avail : want;
  for (uInt64 i = 0; i < take; i++) {
    const double *row = t->ring + ((t->readPos + i) % t->bufSize) * t->nch;
    for (int c = 0; c < t->nch; c++) arr[fill ? i * t->nch + c : (uInt64)c * take + i] = row[c];
  }
  t->readPos += take;
  if (got) *got = (int32)take;
  if (take < want) rc = fail(E_SAMPLES_NOT_YET_AVAILABLE, "Task Name: %s\nSamples requested: %llu\nSamples available: %llu\nTimeout: %g s", t->name, want, take, timeout);
  if (t->autoStarted && t->mode == DAQmx_Val_FiniteSamps && t->readPos >= t->spc) stop_locked(t);
  pthread_mutex_unlock(&t->mu);
  return rc;
}

int32 DAQmxReadAnalogF64(TaskHandle h, int32 numSampsPerChan, float64 timeout, bool32 fillMode, float64 readArray[], uInt32 arraySizeInSamps, int32 *sampsPerChanRead, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)reserved;
  return read_f64(t, numSampsPerChan, timeout, fillMode, readArray, arraySizeInSamps, sampsPerChanRead);
}

int32 DAQmxReadAnalogScalarF64(TaskHandle h, float64 timeout, float64 *value, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)reserved;
  if (t->nch != 1) return fail(E_WRONG_CHAN_TYPE, "Task Name: %s\nA scalar read needs exactly one channel (the task has %d).", t->name, t->nch);
  int32 got;
  return read_f64(t, 1, timeout, DAQmx_Val_GroupByChannel, value, 1, &got);
}

static int32 write_ao(Task *t, int32 n, bool32 autoStart, bool32 layout, const double *arr, int32 *written) {
  if (written) *written = 0;
  if (t->nch == 0) return fail(E_NO_CHANS_IN_TASK, "Task Name: %s", t->name);
  if (t->kind != K_AO) return fail(E_WRONG_CHAN_TYPE, "Task Name: %s\nAnalog writes need analog output channels.", t->name);
  if (n < 1) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: numSampsPerChan\nRequested: %d", n);
  for (int32 i = 0; i < n; i++)
    for (int c = 0; c < t->nch; c++) {
      double v = arr[layout ? (uInt64)i * t->nch + c : (uInt64)c * n + i];
      if (!(v >= t->ch[c].min && v <= t->ch[c].max)) return fail(E_INVALID_AO_DATA_WRITE, "Channel Name: %s\nValue: %g\nMinimum: %g\nMaximum: %g\nSample: %d", t->ch[c].name, v, t->ch[c].min, t->ch[c].max, i);
    }
  pthread_mutex_lock(&t->mu);
  int32 rc = 0;
  if (!t->timed) {
    if (!t->running && !autoStart) { pthread_mutex_unlock(&t->mu); return fail(E_CANNOT_WRITE_NOT_STARTED, "Task Name: %s", t->name); }
    pthread_mutex_lock(&g_mu);
    for (int c = 0; c < t->nch; c++) g_dev[t->ch[c].dev].aoValue[t->ch[c].index] = arr[layout ? (uInt64)(n - 1) * t->nch + c : (uInt64)c * n + n - 1];
    pthread_mutex_unlock(&g_mu);
  } else {
    if (t->running) { pthread_mutex_unlock(&t->mu); return fail(E_RESOURCE_RESERVED, "Task Name: %s\nThe simulator takes a timed waveform before the task starts.", t->name); }
    double *buf = malloc(sizeof(double) * n * t->nch);
    for (int32 i = 0; i < n; i++)
      for (int c = 0; c < t->nch; c++) buf[(uInt64)i * t->nch + c] = arr[layout ? (uInt64)i * t->nch + c : (uInt64)c * n + i];
    pthread_mutex_lock(&g_mu);
    free(t->aoBuf);
    t->aoBuf = buf; t->aoLen = (uInt64)n;
    pthread_mutex_unlock(&g_mu);
    if (autoStart) rc = start_locked(t);
  }
  pthread_mutex_unlock(&t->mu);
  if (rc == 0 && written) *written = n;
  return rc;
}

int32 DAQmxWriteAnalogF64(TaskHandle h, int32 numSampsPerChan, bool32 autoStart, float64 timeout, bool32 dataLayout, const float64 writeArray[], int32 *sampsPerChanWritten, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)timeout; (void)reserved;
  if (!writeArray) return fail(E_INVALID_ATTRIBUTE_VALUE, "writeArray is NULL.");
  return write_ao(t, numSampsPerChan, autoStart, dataLayout, writeArray, sampsPerChanWritten);
}

int32 DAQmxWriteAnalogScalarF64(TaskHandle h, bool32 autoStart, float64 timeout, float64 value, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)timeout; (void)reserved;
  if (t->nch != 1) return fail(E_WRONG_CHAN_TYPE, "Task Name: %s\nA scalar write needs exactly one channel (the task has %d).", t->name, t->nch);
  int32 w;
  return write_ao(t, 1, autoStart, DAQmx_Val_GroupByChannel, &value, &w);
}

static int max_lines(Task *t) {
  int m = 0;
  for (int c = 0; c < t->nch; c++) if (t->ch[c].nlines > m) m = t->ch[c].nlines;
  return m;
}

static int32 dio_check(Task *t, int kind, int32 n) {
  if (t->nch == 0) return fail(E_NO_CHANS_IN_TASK, "Task Name: %s", t->name);
  if (t->kind != kind) return fail(E_WRONG_CHAN_TYPE, "Task Name: %s\nThe function does not match the task's channel type.", t->name);
  if (n < -1 || n == 0) return fail(E_INVALID_ATTRIBUTE_VALUE, "Property: numSampsPerChan\nRequested: %d", n);
  return 0;
}

int32 DAQmxReadDigitalLines(TaskHandle h, int32 n, float64 timeout, bool32 fill, uInt8 arr[], uInt32 size, int32 *got, int32 *bytesPerSamp, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)timeout; (void)reserved;
  if (got) *got = 0;
  int32 rc = dio_check(t, t->kind == K_DO ? K_DO : K_DI, n); /* NI reads back output lines too */
  if (rc) return rc;
  int32 want = n == -1 ? 1 : n, bps = max_lines(t);
  if ((uInt64)want * t->nch * bps > size) return fail(E_READ_BUFFER_TOO_SMALL, "Requested: %d samples x %d channels x %d lines\nArray size: %u bytes", want, t->nch, bps, size);
  pthread_mutex_lock(&g_mu);
  for (int32 i = 0; i < want; i++)
    for (int c = 0; c < t->nch; c++) {
      uInt32 port = g_dev[t->ch[c].dev].port[t->ch[c].index];
      uInt8 *out = arr + (fill ? ((uInt64)i * t->nch + c) : ((uInt64)c * want + i)) * bps;
      for (int b = 0; b < bps; b++) out[b] = b < t->ch[c].nlines ? (port >> (t->ch[c].firstLine + b)) & 1 : 0;
    }
  pthread_mutex_unlock(&g_mu);
  if (got) *got = want;
  if (bytesPerSamp) *bytesPerSamp = bps;
  return 0;
}

int32 DAQmxReadDigitalU32(TaskHandle h, int32 n, float64 timeout, bool32 fill, uInt32 arr[], uInt32 size, int32 *got, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)timeout; (void)reserved;
  if (got) *got = 0;
  int32 rc = dio_check(t, t->kind == K_DO ? K_DO : K_DI, n); /* NI reads back output lines too */
  if (rc) return rc;
  int32 want = n == -1 ? 1 : n;
  if ((uInt64)want * t->nch > size) return fail(E_READ_BUFFER_TOO_SMALL, "Requested: %d samples x %d channels\nArray size: %u", want, t->nch, size);
  pthread_mutex_lock(&g_mu);
  for (int32 i = 0; i < want; i++)
    for (int c = 0; c < t->nch; c++) arr[fill ? (uInt64)i * t->nch + c : (uInt64)c * want + i] = g_dev[t->ch[c].dev].port[t->ch[c].index] & t->ch[c].mask;
  pthread_mutex_unlock(&g_mu);
  if (got) *got = want;
  return 0;
}

static int32 write_dio(Task *t, int32 n, bool32 autoStart, int lines, const void *arr, bool32 layout, int32 *written) {
  if (written) *written = 0;
  int32 rc = dio_check(t, K_DO, n);
  if (rc) return rc;
  pthread_mutex_lock(&t->mu);
  int running = t->running;
  pthread_mutex_unlock(&t->mu);
  if (!running && !autoStart) return fail(E_CANNOT_WRITE_NOT_STARTED, "Task Name: %s", t->name);
  int bps = max_lines(t);
  int32 i = n - 1; /* on-demand: the last sample is what stays on the lines */
  pthread_mutex_lock(&g_mu);
  for (int c = 0; c < t->nch; c++) {
    uInt32 *port = &g_dev[t->ch[c].dev].port[t->ch[c].index], v = 0;
    if (lines) {
      const uInt8 *in = (const uInt8 *)arr + (layout ? ((uInt64)i * t->nch + c) : ((uInt64)c * n + i)) * bps;
      for (int b = 0; b < t->ch[c].nlines; b++) if (in[b]) v |= 1u << (t->ch[c].firstLine + b);
    } else v = ((const uInt32 *)arr)[layout ? (uInt64)i * t->nch + c : (uInt64)c * n + i] & t->ch[c].mask;
    *port = (*port & ~t->ch[c].mask) | v;
  }
  pthread_mutex_unlock(&g_mu);
  if (written) *written = n;
  return 0;
}

int32 DAQmxWriteDigitalLines(TaskHandle h, int32 n, bool32 autoStart, float64 timeout, bool32 layout, const uInt8 arr[], int32 *written, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)timeout; (void)reserved;
  return write_dio(t, n, autoStart, 1, arr, layout, written);
}

int32 DAQmxWriteDigitalU32(TaskHandle h, int32 n, bool32 autoStart, float64 timeout, bool32 layout, const uInt32 arr[], int32 *written, bool32 *reserved) {
  TASK_OR_FAIL(t, h);
  (void)timeout; (void)reserved;
  return write_dio(t, n, autoStart, 0, arr, layout, written);
}

/* ---------- attributes (variadic getters, as NI's) ---------- */

static int32 put_string(const char *s, void *value, va_list ap) {
  uInt32 size = va_arg(ap, uInt32);
  int32 need = (int32)strlen(s) + 1;
  if (size == 0 || !value) return need;
  if ((uInt32)need > size) { copy_str(value, size, s); return fail(E_BUFFER_TOO_SMALL_FOR_STRING, "Needed: %d bytes\nGiven: %u", need, size); }
  copy_str(value, size, s);
  return 0;
}

static void chan_list(Task *t, char *out, size_t n) {
  out[0] = 0;
  for (int c = 0; c < t->nch; c++) {
    size_t l = strlen(out);
    snprintf(out + l, n - l, "%s%s", c ? ", " : "", t->ch[c].name);
  }
}

int32 DAQmxGetSystemInfoAttribute(int32 attribute, void *value, ...) {
  va_list ap;
  va_start(ap, value);
  int32 rc = 0;
  switch (attribute) {
  case 0x1272: *(uInt32 *)value = 23; break; /* SysInfo.MajorVersion */
  case 0x1923: *(uInt32 *)value = 0; break;  /* MinorVersion */
  case 0x2F22: *(uInt32 *)value = 0; break;  /* UpdateVersion */
  case 0x193B: { /* DevNames */
    char list[1024] = "";
    pthread_mutex_lock(&g_mu);
    ensure_config_locked();
    for (int i = 0; i < g_ndev; i++) { size_t l = strlen(list); snprintf(list + l, sizeof list - l, "%s%.63s", i ? ", " : "", g_dev[i].name); }
    pthread_mutex_unlock(&g_mu);
    rc = put_string(list, value, ap);
    break;
  }
  default: rc = fail(E_ATTR_NOT_SUPPORTED, "System attribute: 0x%X", attribute);
  }
  va_end(ap);
  return rc;
}

int32 DAQmxGetTaskAttribute(TaskHandle h, int32 attribute, void *value, ...) {
  TASK_OR_FAIL(t, h);
  va_list ap;
  va_start(ap, value);
  int32 rc = 0;
  char list[MAX_CHANS * NAME_LEN];
  pthread_mutex_lock(&t->mu);
  switch (attribute) {
  case 0x1276: rc = put_string(t->name, value, ap); break;          /* Task.Name */
  case 0x1273: chan_list(t, list, sizeof list); rc = put_string(list, value, ap); break; /* Task.Channels */
  case 0x2181: *(uInt32 *)value = (uInt32)t->nch; break;            /* Task.NumChans */
  case 0x1274: *(bool32 *)value = !t->running || t->done; break;    /* Task.Complete */
  default: rc = fail(E_ATTR_NOT_SUPPORTED, "Task attribute: 0x%X\nTask Name: %s", attribute, t->name);
  }
  pthread_mutex_unlock(&t->mu);
  va_end(ap);
  return rc;
}

static Chan *find_chan(Task *t, const char *name, size_t len) {
  for (int c = 0; c < t->nch; c++)
    if ((strlen(t->ch[c].name) == len && !strncasecmp(t->ch[c].name, name, len)) || (strlen(t->ch[c].phys) == len && !strncasecmp(t->ch[c].phys, name, len))) return &t->ch[c];
  return NULL;
}

int32 DAQmxGetChanAttribute(TaskHandle h, const char channel[], int32 attribute, void *value, ...) {
  TASK_OR_FAIL(t, h);
  va_list ap;
  va_start(ap, value);
  int32 rc = 0;
  pthread_mutex_lock(&t->mu);
  /* A list ("a, b") or empty (every channel): the attribute must be the same for all; take the first. */
  Chan *c = NULL;
  const char *s = channel ? channel : "";
  while (*s == ' ') s++;
  if (!*s) c = t->nch ? &t->ch[0] : NULL;
  else {
    size_t len = strcspn(s, ",");
    while (len > 0 && s[len - 1] == ' ') len--;
    c = find_chan(t, s, len);
  }
  if (!c) rc = fail(E_PHYS_CHAN_DOES_NOT_EXIST, "Channel Name: %s\nTask Name: %s", channel ? channel : "", t->name);
  else switch (attribute) {
  case 0x187F: *(int32 *)value = c->kind == K_AI ? 10100 : c->kind == K_AO ? 10102 : c->kind == K_DI ? 10151 : 10153; break; /* ChanType */
  case 0x0695: if (c->kind == K_AI) *(int32 *)value = c->current ? 10134 : 10322; else rc = fail(E_ATTR_NOT_SUPPORTED, "Channel Name: %s\nAI.MeasType applies to analog inputs.", c->name); break;
  case 0x17DD: *(double *)value = c->max; break; /* AI.Max */
  case 0x17DE: *(double *)value = c->min; break; /* AI.Min */
  case 0x1186: *(double *)value = c->max; break; /* AO.Max */
  case 0x1187: *(double *)value = c->min; break; /* AO.Min */
  case 0x18F4: rc = put_string(c->phys, value, ap); break; /* PhysicalChanName */
  case 0x2180: *(uInt32 *)value = (uInt32)c->nlines; break; /* DI/DO NumLines */
  default: rc = fail(E_ATTR_NOT_SUPPORTED, "Channel attribute: 0x%X\nChannel Name: %s", attribute, c->name);
  }
  pthread_mutex_unlock(&t->mu);
  va_end(ap);
  return rc;
}

int32 DAQmxGetReadAttribute(TaskHandle h, int32 attribute, void *value, ...) {
  TASK_OR_FAIL(t, h);
  va_list ap;
  va_start(ap, value);
  int32 rc = 0;
  char list[MAX_CHANS * NAME_LEN];
  pthread_mutex_lock(&t->mu);
  switch (attribute) {
  case 0x1823: chan_list(t, list, sizeof list); rc = put_string(list, value, ap); break; /* Read.ChannelsToRead */
  case 0x1215: *(uInt32 *)value = t->running && t->timed ? (uInt32)(t->written - t->readPos) : 0; break; /* Read.AvailSampPerChan */
  case 0x192A: *(uInt64 *)value = t->written; break; /* Read.TotalSampPerChanAcquired */
  case 0x1221: *(uInt64 *)value = t->readPos; break; /* Read.CurrReadPos */
  case 0x1223: *(uInt32 *)value = (uInt32)t->written; break;
  case 0x217C: *(uInt32 *)value = (uInt32)max_lines(t); break; /* Read.DigitalLines.BytesPerChan */
  case 0x31E8: *(uInt32 *)value = t->running && t->timed ? (uInt32)(t->written - t->readPos) : 0; break;
  case 0x1826: *(bool32 *)value = 1; break; /* Read.AutoStart */
  default: rc = fail(E_ATTR_NOT_SUPPORTED, "Read attribute: 0x%X\nTask Name: %s", attribute, t->name);
  }
  pthread_mutex_unlock(&t->mu);
  va_end(ap);
  return rc;
}

int32 DAQmxGetWriteAttribute(TaskHandle h, int32 attribute, void *value, ...) {
  TASK_OR_FAIL(t, h);
  va_list ap;
  va_start(ap, value);
  int32 rc = 0;
  pthread_mutex_lock(&t->mu);
  switch (attribute) {
  case 0x217F: *(uInt32 *)value = (uInt32)max_lines(t); break; /* Write.DigitalLines.BytesPerChan */
  default: rc = fail(E_ATTR_NOT_SUPPORTED, "Write attribute: 0x%X\nTask Name: %s", attribute, t->name);
  }
  pthread_mutex_unlock(&t->mu);
  va_end(ap);
  return rc;
}

int32 DAQmxGetTimingAttribute(TaskHandle h, int32 attribute, void *value, ...) {
  TASK_OR_FAIL(t, h);
  va_list ap;
  va_start(ap, value);
  int32 rc = 0;
  pthread_mutex_lock(&t->mu);
  switch (attribute) {
  case 0x1300: *(int32 *)value = t->timed ? t->mode : 10390 /* OnDemand */; break; /* SampQuant.SampMode */
  case 0x1310: *(uInt64 *)value = t->spc; break; /* SampQuant.SampPerChan */
  case 0x1344: *(double *)value = t->rate; break; /* SampClk.Rate */
  default: rc = fail(E_ATTR_NOT_SUPPORTED, "Timing attribute: 0x%X\nTask Name: %s", attribute, t->name);
  }
  pthread_mutex_unlock(&t->mu);
  va_end(ap);
  return rc;
}

int32 DAQmxSetRuntimeEnvironment(const char environment[], const char environmentVersion[], const char reserved1[], const char reserved2[]) {
  (void)environment; (void)environmentVersion; (void)reserved1; (void)reserved2;
  return 0;
}

int32 DAQmxInternalGetLastCreatedChan(char value[], uInt32 size) {
  pthread_mutex_lock(&g_mu);
  char copy[NAME_LEN];
  copy_str(copy, sizeof copy, g_lastChan);
  pthread_mutex_unlock(&g_mu);
  if (size == 0 || !value) return (int32)strlen(copy) + 1;
  copy_str(value, size, copy);
  return 0;
}
