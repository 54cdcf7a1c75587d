/*
 * eclib-sim: a simulator of BioLogic's EClib (EC-Lab Development Package) C API, with the same
 * function signatures and 4-byte-packed structures as BioLogic's BLStructs.h (see
 * ../shared/reference/biologic.md). Simulates a 4-channel instrument of the VMP3 family (device code
 * 5, VMP3: `name.ecc` techniques) or of the SP-300 family (SP-300 16, SP-200 21, SP-240 27, VSP-300
 * 20, VMP-300 12, BP-300 32: `name4.ecc`/`name5.ecc`), with each family's record layouts, a
 * technique queue per channel, records produced in real time by a C thread, and the documented
 * error codes. Techniques: OCV, CA, CP, CV, VSCAN (linear sweeps), PEIS.
 * Cell: Randles circuit + reversible couple (the same laws as src/sim/electrochem).
 * Test doors (not in EClib): SIM_Configure, SIM_SetDeviceCode(For), SIM_CutConnection, SIM_BenchGetData.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

#pragma pack(push, 4)
typedef struct { int32_t DeviceCode, RAMSize, CPU, NumberOfChannels, NumberOfSlots, FirmwareVersion, FirmwareDate_yyyy, FirmwareDate_mm, FirmwareDate_dd, HTdisplayOn, NbOfConnectedPC; } TDeviceInfos_t;
typedef struct { int32_t Channel, BoardVersion, BoardSerialNumber, FirmwareCode, FirmwareVersion, XilinxVersion, AmpCode, NbAmps, Lcboard, Zboard, RESERVED1, RESERVED2, MemSize, MemFilled, State, MaxIRange, MinIRange, MaxBandwidth, NbOfTechniques; } TChannelInfos_t;
typedef struct { char ParamStr[64]; int32_t ParamType; int32_t ParamVal; int32_t ParamIndex; } TEccParam_t;
typedef struct { int32_t len; TEccParam_t *pParams; } TEccParams_t;
typedef struct { int32_t State, MemFilled; float TimeBase, Ewe, EweRangeMin, EweRangeMax, Ece, EceRangeMin, EceRangeMax; int32_t Eoverflow; float I; int32_t IRange, Ioverflow; float ElapsedTime, Freq, Rcomp; int32_t Saturation, OptErr, OptPos; } TCurrentValues_t;
typedef struct { int32_t IRQskipped, NbRows, NbCols, TechniqueIndex, TechniqueID, ProcessIndex, loop; double StartTime; int32_t MuxPad; } TDataInfos_t;
#pragma pack(pop)

_Static_assert(sizeof(TEccParams_t) == 12 || sizeof(void *) == 4, "TEccParams_t must be 12 bytes (pack 4)");
_Static_assert(sizeof(TDataInfos_t) == 40, "TDataInfos_t must be 40 bytes (pack 4)");
_Static_assert(sizeof(TEccParam_t) == 76, "TEccParam_t is 76 bytes");
_Static_assert(sizeof(TCurrentValues_t) == 76, "TCurrentValues_t is 76 bytes");

enum { ERR_NOERROR = 0, ERR_GEN_NOTCONNECTED = -1, ERR_GEN_CHANNELNOTPLUGGED = -3, ERR_GEN_INVALIDPARAMETERS = -4, ERR_GEN_FILENOTEXISTS = -5,
       ERR_GEN_FUNCTIONFAILED = -6, ERR_GEN_CHANNEL_RUNNING = -13, ERR_INSTR_TOOMANYDATA = -102, ERR_COMM_COMMFAILED = -200,
       ERR_COMM_CONNECTIONFAILED = -201, ERR_COMM_INVALIDIPADDRESS = -203, ERR_COMM_MAXCONNREACHED = -207,
       ERR_FIRM_FIRMWARENOTLOADED = -308, ERR_FIRM_FIRMWAREINCOMPATIBLE = -309, ERR_TECH_ECCFILENOTEXISTS = -400, ERR_TECH_INCOMPATIBLEECC = -401,
       ERR_TECH_LOADTECHNIQUEFAILED = -403, ERR_TECH_MEMFULL = -405 };

#define NCH 4
#define NDEV 4
#define MAXQ 128 /* techniques queued per channel (a PEIS frequency list is one technique per frequency) */
#define TIMEBASE 2.0e-5
#define E_LIMIT 10.0 /* E range ±10 V: a potential beyond it is an overflow */
#define PI 3.14159265358979323846

typedef struct { char name[64]; int32_t type; int32_t val; int32_t index; } Param;
typedef struct { int id; char file[32]; int nparams; Param *params; } Tech;
typedef struct { uint32_t *words; int ncols; int nrows; int pid; double *t; int tech; } Block; /* rows of one process */

typedef struct {
  int loaded_fw;
  Tech q[MAXQ];
  int nq;
  int running;
  int tech_index;   /* technique being released */
  Block blocks[MAXQ][2];
  int released[MAXQ][2], taken[MAXQ][2];
  double start_wall;
  double start_time[MAXQ];
  float ewe, i;
} Channel;

typedef struct { int used, cut; double speed; int32_t code; int sp300; Channel ch[NCH]; pthread_t thread; int stop; } Device;

static Device devs[NDEV];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double g_speed = 1.0, g_rs = 50, g_rct = 500, g_cdl = 20e-6, g_e0 = 0.2, g_ocv = 0.25;
static int g_n = 1;
static int32_t g_device_code = 5; /* VMP3 */
static const double F = 96485.33212, R = 8.314462618, T = 298.15, AREA = 0.0707, CONC = 1e-6, DIFF = 7e-6;

static double now_s(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bitsf(int32_t v) { float f; memcpy(&f, &v, 4); return f; }

EXPORT void SIM_Configure(double speed, double rs, double rct, double cdl, double e0, int32_t n) {
  g_speed = speed > 0 ? speed : 1; g_rs = rs; g_rct = rct; g_cdl = cdl; g_e0 = e0; g_n = n > 0 ? n : 1;
}

/* SP-300 family (kernel4.bin, name4.ecc): VMP300 12, SP300 16, VSP300 20, SP200 21, SP240 27, BP300 32. */
static int is_sp300(int32_t code) { return code == 12 || code == 16 || code == 20 || code == 21 || code == 27 || code == 32; }

/* Test door: the device code (TDeviceInfos_t.DeviceCode) of instruments connected from now on. */
EXPORT void SIM_SetDeviceCode(int32_t code) { pthread_mutex_lock(&mu); g_device_code = code; pthread_mutex_unlock(&mu); }

/* Test door: the device code of the instrument at `address` (overrides SIM_SetDeviceCode for it),
 * so simulated instruments of different families can live side by side. */
static struct { char addr[64]; int32_t code; } g_addr_codes[16];
EXPORT int32_t SIM_SetDeviceCodeFor(const char *address, int32_t code) {
  if (!address || strlen(address) >= 64) return ERR_GEN_INVALIDPARAMETERS;
  pthread_mutex_lock(&mu);
  int slot = -1;
  for (int k = 0; k < 16 && slot < 0; k++) if (g_addr_codes[k].addr[0] && !strcmp(g_addr_codes[k].addr, address)) slot = k;
  for (int k = 0; k < 16 && slot < 0; k++) if (!g_addr_codes[k].addr[0]) slot = k;
  if (slot >= 0) { strcpy(g_addr_codes[slot].addr, address); g_addr_codes[slot].code = code; }
  pthread_mutex_unlock(&mu);
  return slot >= 0 ? ERR_NOERROR : ERR_GEN_FUNCTIONFAILED;
}
static int32_t code_of(const char *address) {
  for (int k = 0; k < 16; k++) if (g_addr_codes[k].addr[0] && !strcmp(g_addr_codes[k].addr, address)) return g_addr_codes[k].code;
  return g_device_code;
}

static Device *dev_of(int32_t id) { return (id >= 0 && id < NDEV && devs[id].used) ? &devs[id] : NULL; }

EXPORT int32_t BL_GetLibVersion(char *pVersion, uint32_t *psize) {
  const char *v = "6.04-labrig-sim";
  if (!pVersion || !psize || *psize < strlen(v) + 1) return ERR_GEN_INVALIDPARAMETERS;
  strcpy(pVersion, v); *psize = (uint32_t)strlen(v) + 1; return ERR_NOERROR;
}

EXPORT int32_t BL_GetErrorMsg(int32_t code, char *pmsg, uint32_t *psize) {
  const char *m;
  switch (code) {
    case 0: m = "No error"; break; case -1: m = "no instrument connected"; break; case -3: m = "selected channel(s) unplugged"; break;
    case -4: m = "invalid function parameters"; break; case -5: m = "selected file does not exist"; break; case -6: m = "function failed"; break;
    case -13: m = "channel is running"; break; case -102: m = "too many data to transfer from the instrument"; break;
    case -200: m = "communication failed with the instrument"; break; case -201: m = "cannot establish connection with the instrument"; break;
    case -203: m = "invalid IP address"; break; case -207: m = "maximum connection allowed"; break; case -308: m = "no firmware loaded on the selected channel"; break;
    case -309: m = "firmware of the selected channel is incompatible"; break;
    case -400: m = "ECC file does not exist"; break; case -401: m = "ECC file not compatible with the channel firmware"; break; case -403: m = "failed to load the technique file"; break; case -405: m = "memory is full"; break;
    default: m = "unknown error"; break;
  }
  if (!pmsg || !psize) return ERR_GEN_INVALIDPARAMETERS;
  if (*psize < strlen(m) + 1) { *psize = (uint32_t)strlen(m) + 1; return ERR_GEN_INVALIDPARAMETERS; }
  strcpy(pmsg, m); *psize = (uint32_t)strlen(m) + 1; return ERR_NOERROR;
}

/* --- physics ------------------------------------------------------------------------------ */
static double fnrt(void) { return g_n * F / (R * T); }
static double dscale(void) { return g_n * F * AREA * CONC * sqrt(DIFF); }
static double frac(double e) { double x = fnrt() * (e - g_e0); return x > 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }
static uint32_t rng_state = 1;
static double gauss(void) {
  double u = 0, v = 0;
  rng_state = rng_state * 1664525u + 1013904223u; u = ((rng_state >> 8) + 1.0) / 16777217.0;
  rng_state = rng_state * 1664525u + 1013904223u; v = (rng_state >> 8) / 16777216.0;
  return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

static Param *find(Tech *t, const char *name, int index) {
  for (int k = 0; k < t->nparams; k++) if (!strcmp(t->params[k].name, name) && t->params[k].index == index) return &t->params[k];
  return NULL;
}
static double num(Tech *t, const char *name, int index, double def) {
  Param *p = find(t, name, index);
  if (!p) return def;
  return p->type == 2 ? (double)bitsf(p->val) : (double)p->val;
}

static void put_time(uint32_t *w, double t) { uint64_t ticks = (uint64_t)llround(t / TIMEBASE); w[0] = (uint32_t)(ticks >> 32); w[1] = (uint32_t)ticks; }

static void block_alloc(Block *b, int rows, int cols, int pid, int tech) {
  b->words = calloc((size_t)(rows > 0 ? rows : 1) * cols, 4); b->t = calloc((size_t)(rows > 0 ? rows : 1), sizeof(double));
  b->ncols = cols; b->nrows = rows; b->pid = pid; b->tech = tech;
}

/* A potential sweep through `corners` (nc points) at `rate` V/s, recorded every `de` V: the
 * faradaic current by the convolution method plus the double-layer charging current. `cycle_of`
 * gives the cycle of segment s (1-based). Writes rows laid out as the family's CV/VSCAN records. */
static void sweep(Block *b, const double *corners, int nc, double rate, double de, int cycles, int sp300, int k) {
  double span = 0; for (int q = 1; q < nc; q++) span += fabs(corners[q] - corners[q - 1]);
  double total = span / rate, h = fmax(total / 8000, fmin(de / rate, 0.0005 / rate));
  int n = (int)floor(total / h);
  double *pot = malloc(sizeof(double) * (n > 0 ? n : 1)), *cur = calloc(n > 0 ? n : 1, sizeof(double)), *w = malloc(sizeof(double) * (n + 1));
  int *cyc = malloc(sizeof(int) * (n > 0 ? n : 1));
  int seg = 1; double segStart = 0;
  for (int q = 0; q < n; q++) {
    double tt = (q + 0.5) * h;
    while (seg < nc - 1 && tt > segStart + fabs(corners[seg] - corners[seg - 1]) / rate) { segStart += fabs(corners[seg] - corners[seg - 1]) / rate; seg++; }
    double dir = corners[seg] > corners[seg - 1] ? 1 : -1;
    pot[q] = corners[seg - 1] + dir * rate * (tt - segStart);
    cyc[q] = (seg - 1) / 2 < cycles - 1 ? (seg - 1) / 2 : cycles - 1;
  }
  for (int m = 0; m <= n; m++) w[m] = sqrt(m + 1.0) - sqrt((double)m);
  double scale = dscale() * sqrt(PI) / (2 * sqrt(h));
  for (int q = 0; q < n; q++) { double acc = 0; for (int j = 0; j < q; j++) acc += cur[j] * w[q - j]; cur[q] = (scale * frac(pot[q]) - acc) / w[0]; }
  int every = (int)fmax(1, lround(de / rate / h));
  int rows = n / every, cols = sp300 ? 5 : 6;
  block_alloc(b, rows, cols, 0, k);
  for (int r = 0; r < rows; r++) {
    int q = (r + 1) * every - 1; double tt = (q + 0.5) * h;
    double i = cur[q] + (q > 0 ? g_cdl * (pot[q] - pot[q - 1]) / h : 0);
    uint32_t *x = &b->words[r * cols]; put_time(x, tt);
    if (sp300) { x[2] = fbits((float)i); x[3] = fbits((float)pot[q]); x[4] = (uint32_t)cyc[q]; }          /* t_high t_low I Ewe cycle */
    else { x[2] = fbits((float)pot[q]); x[3] = fbits((float)i); x[4] = fbits((float)pot[q]); x[5] = (uint32_t)cyc[q]; } /* t_high t_low Ec I Ewe cycle */
    b->t[r] = tt;
  }
  free(pot); free(cur); free(w); free(cyc);
}

/* Potential of a constant-current step `tt` s after it began (Sand's law before the transition
 * time; the compliance limit after it, where the instrument flags an overflow). */
static double chronopotential(double i, double tt) {
  if (i == 0) return g_ocv;
  if (i < 0) return g_e0 - 1 + i * g_rs; /* only R in the bulk: nothing to reduce */
  double x = dscale() * sqrt(PI) / (2 * i), tau = x * x;
  if (tt >= tau) return E_LIMIT;
  return g_e0 + log(sqrt(tt) / (sqrt(tau) - sqrt(tt))) / fnrt() + i * g_rs;
}

/* Build every record of technique `k` of channel `c`, in the layouts of the instrument's family
 * (biologic.md, "Data records"; VMP3 / SP-300). */
static void build(Channel *c, int k, int sp300) {
  Tech *t = &c->q[k];
  Block *b0 = &c->blocks[k][0], *b1 = &c->blocks[k][1];
  memset(b1, 0, sizeof *b1);
  if (t->id == 100) { /* OCV: t_high t_low Ewe Ece (VMP3) | t_high t_low Ewe (SP-300) */
    double dur = num(t, "Rest_time_T", 0, 1), dt = num(t, "Record_every_dT", 0, 0.1);
    int n = (int)floor(dur / dt + 1e-5), cols = sp300 ? 3 : 4;
    block_alloc(b0, n, cols, 0, k);
    for (int r = 0; r < n; r++) { double tt = (r + 1) * dt; float e = (float)(g_ocv - 1e-5 * tt + 2e-4 * gauss()); uint32_t *w = &b0->words[r * cols];
      put_time(w, tt); w[2] = fbits(e); if (!sp300) w[3] = fbits(0.0f); b0->t[r] = tt; }
  } else if (t->id == 101 || t->id == 102) { /* CA / CP: t_high t_low Ewe I cycle (both families) */
    int ca = t->id == 101;
    double set = num(t, ca ? "Voltage_step" : "Current_step", 0, 0), dur = num(t, "Duration_step", 0, 1), dt = num(t, "Record_every_dT", 0, 0.1);
    int n = (int)floor(dur / dt + 1e-5);
    block_alloc(b0, n, 5, 0, k);
    for (int r = 0; r < n; r++) { double tt = (r + 1) * dt, e, i;
      if (ca) { e = set; i = dscale() * frac(e) / sqrt(PI * tt) + (g_rs > 0 ? (e - g_ocv) / g_rs * exp(-tt / (g_rs * g_cdl)) : 0); }
      else { i = set; e = chronopotential(set, tt); }
      uint32_t *w = &b0->words[r * 5]; put_time(w, tt); w[2] = fbits((float)e); w[3] = fbits((float)i); w[4] = 0; b0->t[r] = tt; }
  } else if (t->id == 103) { /* CV: Ei -> E1 -> E2 (-> E1 -> E2 ...) -> Ef */
    double ei = num(t, "Voltage_step", 0, 0), e1 = num(t, "Voltage_step", 1, 0.5), e2 = num(t, "Voltage_step", 2, -0.1), ef = num(t, "Voltage_step", 4, 0);
    int cycles = (int)num(t, "N_Cycles", 0, 0) + 1; if (cycles > 64) cycles = 64;
    double corners[2 + 2 * 64]; int nc = 0; corners[nc++] = ei;
    for (int cy = 0; cy < cycles; cy++) { corners[nc++] = e1; corners[nc++] = e2; }
    corners[nc++] = ef;
    sweep(b0, corners, nc, num(t, "Scan_Rate", 0, 0.1), num(t, "Record_every_dE", 0, 0.001), cycles, sp300, k);
  } else if (t->id == 124) { /* VSCAN: vertices Voltage_step[0..Scan_number+1], Scan_Rate[v] from the previous vertex */
    int nv = (int)num(t, "Scan_number", 0, 0) + 2; if (nv > 100) nv = 100;
    double corners[100]; for (int v = 0; v < nv; v++) corners[v] = num(t, "Voltage_step", v, 0);
    sweep(b0, corners, nv, num(t, "Scan_Rate", 1, 0.1), num(t, "Record_every_dE", 0, 0.001), 1, sp300, k);
  } else if (t->id == 104) { /* PEIS: process 1 rows, 15 columns (VMP3) / 14 (SP-300: no Irange) */
    double fi = num(t, "Initial_frequency", 0, 1e5), ff = num(t, "Final_frequency", 0, 1), amp = num(t, "Amplitude_Voltage", 0, 0.01);
    double edc = num(t, "Initial_Voltage_step", 0, 0);
    int nf = (int)num(t, "Frequency_number", 0, 10); if (nf < 1) nf = 1;
    int lin = find(t, "sweep", 0) ? find(t, "sweep", 0)->val : 0, cols = sp300 ? 14 : 15;
    block_alloc(b0, 0, 4, 0, k);
    block_alloc(b1, nf, cols, 1, k);
    double tt = 0;
    for (int r = 0; r < nf; r++) {
      double f = nf == 1 ? fi : lin ? fi + (ff - fi) * r / (nf - 1) : fi * pow(ff / fi, (double)r / (nf - 1));
      double om = 2 * PI * f, yr = 1 / g_rct, yi = om * g_cdl, yd = yr * yr + yi * yi;
      double zr = g_rs + yr / yd, zi = -yi / yd, zm = hypot(zr, zi), ph = atan2(zi, zr) * 180 / PI;
      tt += fmax(3 / f, 0.02);
      float ea = (float)amp, ia = (float)(amp / zm), ic = (float)(dscale() * frac(edc) / sqrt(PI * 1e3));
      uint32_t *x = &b1->words[r * cols];
      x[0] = fbits((float)f); x[1] = fbits(ea); x[2] = fbits(ia); x[3] = fbits((float)ph); x[4] = fbits((float)edc); x[5] = fbits(ic); x[6] = 0;
      x[7] = fbits(0); x[8] = fbits(0); x[9] = fbits(0); x[10] = fbits(0); x[11] = 0; x[12] = 0; x[13] = fbits((float)tt);
      if (!sp300) x[14] = fbits(12); /* current range (auto) */
      b1->t[r] = tt;
    }
  } else {
    block_alloc(b0, 0, 4, 0, k);
  }
}

static void free_channel(Channel *c) {
  for (int k = 0; k < MAXQ; k++) for (int p = 0; p < 2; p++) { free(c->blocks[k][p].words); free(c->blocks[k][p].t); memset(&c->blocks[k][p], 0, sizeof(Block)); }
  for (int k = 0; k < c->nq; k++) free(c->q[k].params);
  c->nq = 0; c->running = 0;
}

/* The acquisition thread: releases the records whose time has come, technique after technique. */
static void *acquire(void *arg) {
  Device *d = arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    if (d->stop) { pthread_mutex_unlock(&mu); break; }
    double wall = now_s();
    for (int ch = 0; ch < NCH; ch++) {
      Channel *c = &d->ch[ch];
      if (!c->running || d->cut) continue;
      int k = c->tech_index;
      double simT = (wall - c->start_wall) * d->speed - c->start_time[k];
      int all = 1;
      for (int p = 0; p < 2; p++) {
        Block *b = &c->blocks[k][p];
        while (c->released[k][p] < b->nrows && b->t[c->released[k][p]] <= simT) c->released[k][p]++;
        if (c->released[k][p] < b->nrows) all = 0;
        if (c->released[k][p] > 0 && b->ncols >= 5 && p == 0) { uint32_t *w = &b->words[(c->released[k][p] - 1) * b->ncols];
          int sweepy = c->q[k].id == 103 || c->q[k].id == 124;
          if (sweepy && d->sp300) { memcpy(&c->ewe, &w[3], 4); memcpy(&c->i, &w[2], 4); }
          else if (sweepy) { memcpy(&c->ewe, &w[4], 4); memcpy(&c->i, &w[3], 4); }
          else { memcpy(&c->ewe, &w[2], 4); memcpy(&c->i, &w[3], 4); } }
      }
      if (all) {
        double end = 0; for (int p = 0; p < 2; p++) { Block *b = &c->blocks[k][p]; if (b->nrows) end = fmax(end, b->t[b->nrows - 1]); }
        if (k + 1 < c->nq) { c->tech_index = k + 1; c->start_time[k + 1] = c->start_time[k] + end; }
        else c->running = 0;
      }
    }
    pthread_mutex_unlock(&mu);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

EXPORT int32_t BL_Connect(const char *address, uint8_t timeout, int32_t *pID, TDeviceInfos_t *pInfos) {
  (void)timeout;
  if (!address || !*address || !pID) return ERR_COMM_INVALIDIPADDRESS;
  if (!strncmp(address, "10.255.", 7)) return ERR_COMM_CONNECTIONFAILED; /* test door: an unreachable instrument */
  pthread_mutex_lock(&mu);
  int id = -1;
  for (int k = 0; k < NDEV; k++) if (!devs[k].used) { id = k; break; }
  if (id < 0) { pthread_mutex_unlock(&mu); return ERR_COMM_MAXCONNREACHED; }
  memset(&devs[id], 0, sizeof(Device));
  devs[id].used = 1; devs[id].speed = g_speed; devs[id].code = code_of(address); devs[id].sp300 = is_sp300(devs[id].code);
  pthread_create(&devs[id].thread, NULL, acquire, &devs[id]);
  pthread_mutex_unlock(&mu);
  *pID = id;
  if (pInfos) { memset(pInfos, 0, sizeof *pInfos); pInfos->DeviceCode = devs[id].code; pInfos->NumberOfChannels = NCH; pInfos->NumberOfSlots = NCH; pInfos->FirmwareVersion = 1100;
    pInfos->FirmwareDate_yyyy = 2024; pInfos->FirmwareDate_mm = 1; pInfos->FirmwareDate_dd = 1; pInfos->NbOfConnectedPC = 1; }
  return ERR_NOERROR;
}

EXPORT int32_t BL_Disconnect(int32_t id) {
  pthread_mutex_lock(&mu);
  Device *d = dev_of(id);
  if (!d) { pthread_mutex_unlock(&mu); return ERR_GEN_NOTCONNECTED; }
  d->stop = 1;
  pthread_mutex_unlock(&mu);
  pthread_join(d->thread, NULL);
  pthread_mutex_lock(&mu);
  for (int c = 0; c < NCH; c++) free_channel(&d->ch[c]);
  d->used = 0;
  pthread_mutex_unlock(&mu);
  return ERR_NOERROR;
}

EXPORT void SIM_CutConnection(int32_t id) { pthread_mutex_lock(&mu); if (dev_of(id)) devs[id].cut = 1; pthread_mutex_unlock(&mu); }

#define ENTER(id) pthread_mutex_lock(&mu); Device *d = dev_of(id); if (!d) { pthread_mutex_unlock(&mu); return ERR_GEN_NOTCONNECTED; } \
  if (d->cut) { pthread_mutex_unlock(&mu); return ERR_COMM_COMMFAILED; }
#define LEAVE(code) do { pthread_mutex_unlock(&mu); return (code); } while (0)
#define CHECK_CH(ch) if ((ch) >= NCH) LEAVE(ERR_GEN_CHANNELNOTPLUGGED)

EXPORT int32_t BL_TestConnection(int32_t id) { ENTER(id); LEAVE(ERR_NOERROR); }

EXPORT bool BL_IsChannelPlugged(int32_t id, uint8_t ch) { pthread_mutex_lock(&mu); bool ok = dev_of(id) && ch < NCH; pthread_mutex_unlock(&mu); return ok; }

EXPORT int32_t BL_GetChannelsPlugged(int32_t id, uint8_t *p, uint8_t size) {
  ENTER(id); if (!p) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  for (int k = 0; k < size; k++) p[k] = k < NCH;
  LEAVE(ERR_NOERROR);
}

EXPORT int32_t BL_LoadFirmware(int32_t id, uint8_t *pChannels, int32_t *pResults, uint8_t length, bool showGauge, bool forceReload, const char *bin, const char *xlx) {
  (void)showGauge; (void)forceReload; (void)xlx;
  ENTER(id); if (!pChannels) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  if (bin) { /* NULL: the default kernel; a named one must be the family's (kernel.bin VMP3, kernel4.bin SP-300) */
    const char *b = strrchr(bin, '/'); b = b ? b + 1 : bin; const char *b2 = strrchr(b, '\\'); b = b2 ? b2 + 1 : b;
    if (strcmp(b, d->sp300 ? "kernel4.bin" : "kernel.bin")) LEAVE(ERR_FIRM_FIRMWAREINCOMPATIBLE);
  }
  for (int k = 0; k < length; k++) {
    int r = 0;
    if (pChannels[k]) { if (k >= NCH) r = ERR_GEN_CHANNELNOTPLUGGED; else if (d->ch[k].running) r = ERR_GEN_CHANNEL_RUNNING; else d->ch[k].loaded_fw = 1; }
    if (pResults) pResults[k] = r;
  }
  LEAVE(ERR_NOERROR);
}

EXPORT int32_t BL_GetChannelInfos(int32_t id, uint8_t ch, TChannelInfos_t *p) {
  ENTER(id); CHECK_CH(ch); if (!p) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  memset(p, 0, sizeof *p); /* writes the manual's 19 int32 (76 bytes), never more */
  Channel *c = &d->ch[ch];
  p->Channel = ch; p->BoardVersion = 3; p->BoardSerialNumber = 1000 + ch; p->FirmwareCode = c->loaded_fw ? 4 : 0; p->FirmwareVersion = c->loaded_fw ? 1100 : 0;
  p->AmpCode = 0; p->NbAmps = 0; p->Zboard = 1; p->MemSize = 1 << 20; p->State = c->running; p->MaxIRange = 9; p->MinIRange = 0; p->MaxBandwidth = 9; p->NbOfTechniques = c->nq;
  LEAVE(ERR_NOERROR);
}

static int32_t define(const char *lbl, int32_t type, int32_t raw, int32_t index, TEccParam_t *p) {
  if (!lbl || !p || strlen(lbl) >= 64) return ERR_GEN_INVALIDPARAMETERS;
  memset(p, 0, sizeof *p); strcpy(p->ParamStr, lbl); p->ParamType = type; p->ParamVal = raw; p->ParamIndex = index; return ERR_NOERROR;
}
EXPORT int32_t BL_DefineBoolParameter(const char *lbl, bool v, int32_t index, TEccParam_t *p) { return define(lbl, 1, v ? 1 : 0, index, p); }
EXPORT int32_t BL_DefineSglParameter(const char *lbl, float v, int32_t index, TEccParam_t *p) { return define(lbl, 2, (int32_t)fbits(v), index, p); }
EXPORT int32_t BL_DefineIntParameter(const char *lbl, int32_t v, int32_t index, TEccParam_t *p) { return define(lbl, 0, v, index, p); }

static const char *OCV_P[] = {"Rest_time_T", "Record_every_dE", "Record_every_dT", "E_Range", NULL};
static const char *CA_P[] = {"Voltage_step", "vs_initial", "Duration_step", "Step_number", "Record_every_dT", "Record_every_dI", "N_Cycles", "I_Range", "E_Range", "Bandwidth", NULL};
static const char *CV_P[] = {"vs_initial", "Voltage_step", "Scan_Rate", "Scan_number", "Record_every_dE", "Average_over_dE", "N_Cycles", "Begin_measuring_I", "End_measuring_I", "I_Range", "E_Range", "Bandwidth", NULL};
static const char *CP_P[] = {"Current_step", "vs_initial", "Duration_step", "Step_number", "Record_every_dT", "Record_every_dE", "N_Cycles", "I_Range", "E_Range", "Bandwidth", NULL};
static const char *VSCAN_P[] = {"Voltage_step", "vs_initial", "Scan_Rate", "Scan_number", "Record_every_dE", "N_Cycles", "Begin_measuring_I", "End_measuring_I", "I_Range", "E_Range", "Bandwidth", NULL};
static const char *PEIS_P[] = {"vs_initial", "vs_final", "Initial_Voltage_step", "Final_Voltage_step", "Duration_step", "Step_number", "Record_every_dT", "Record_every_dI",
                               "Final_frequency", "Initial_frequency", "sweep", "Amplitude_Voltage", "Frequency_number", "Average_N_times", "Correction", "Wait_for_steady", "I_Range", "E_Range", "Bandwidth", NULL};

EXPORT int32_t BL_LoadTechnique(int32_t id, uint8_t ch, const char *fname, TEccParams_t params, bool first, bool last, bool display) {
  (void)last; (void)display;
  ENTER(id); CHECK_CH(ch);
  Channel *c = &d->ch[ch];
  if (!c->loaded_fw) LEAVE(ERR_FIRM_FIRMWARENOTLOADED);
  if (c->running) LEAVE(ERR_GEN_CHANNEL_RUNNING);
  if (!fname) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  const char *base = strrchr(fname, '/'); base = base ? base + 1 : fname;
  const char *b2 = strrchr(base, '\\'); base = b2 ? b2 + 1 : base;
  /* name.ecc for the VMP3 family, name4.ecc / name5.ecc for the SP-300 family; the other family's file is incompatible. */
  static const struct { const char *name; int tid; const char **allowed; } TECHS[] = {
    {"ocv", 100, OCV_P}, {"ca", 101, CA_P}, {"cp", 102, CP_P}, {"cv", 103, CV_P}, {"peis", 104, PEIS_P}, {"vscan", 124, VSCAN_P}};
  int tid = 0; const char **allowed = NULL;
  for (size_t q = 0; q < sizeof TECHS / sizeof TECHS[0]; q++) {
    size_t n = strlen(TECHS[q].name);
    if (strncmp(base, TECHS[q].name, n)) continue;
    const char *rest = base + n; int four = rest[0] == '4' || rest[0] == '5';
    if (strcmp(rest + four, ".ecc")) continue;
    if (four != d->sp300) LEAVE(ERR_TECH_INCOMPATIBLEECC);
    tid = TECHS[q].tid; allowed = TECHS[q].allowed;
  }
  if (!allowed) LEAVE(ERR_TECH_ECCFILENOTEXISTS);
  if (params.len < 0 || (params.len > 0 && !params.pParams)) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  for (int k = 0; k < params.len; k++) {
    int ok = 0; for (const char **a = allowed; *a; a++) if (!strcmp(*a, params.pParams[k].ParamStr)) ok = 1;
    if (!ok) LEAVE(ERR_GEN_INVALIDPARAMETERS);
    /* CP: "I Auto-range is not allowed" (the manual's CP parameters) */
    if (tid == 102 && !strcmp(params.pParams[k].ParamStr, "I_Range") && params.pParams[k].ParamVal == 12) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  }
  if (first) free_channel(c);
  if (c->nq >= MAXQ) LEAVE(ERR_TECH_MEMFULL);
  Tech *t = &c->q[c->nq++];
  t->id = tid; snprintf(t->file, sizeof t->file, "%s", base); t->nparams = params.len;
  t->params = calloc((size_t)(params.len > 0 ? params.len : 1), sizeof(Param));
  for (int k = 0; k < params.len; k++) { memcpy(t->params[k].name, params.pParams[k].ParamStr, 64); t->params[k].name[63] = 0; t->params[k].type = params.pParams[k].ParamType;
    t->params[k].val = params.pParams[k].ParamVal; t->params[k].index = params.pParams[k].ParamIndex; }
  LEAVE(ERR_NOERROR);
}

EXPORT int32_t BL_StartChannel(int32_t id, uint8_t ch) {
  ENTER(id); CHECK_CH(ch);
  Channel *c = &d->ch[ch];
  if (!c->loaded_fw) LEAVE(ERR_FIRM_FIRMWARENOTLOADED);
  if (c->running) LEAVE(ERR_GEN_CHANNEL_RUNNING);
  if (c->nq == 0) LEAVE(ERR_TECH_LOADTECHNIQUEFAILED);
  for (int k = 0; k < c->nq; k++) { for (int p = 0; p < 2; p++) { free(c->blocks[k][p].words); free(c->blocks[k][p].t); memset(&c->blocks[k][p], 0, sizeof(Block)); c->released[k][p] = c->taken[k][p] = 0; } build(c, k, d->sp300); }
  c->tech_index = 0; c->start_time[0] = 0; c->start_wall = now_s(); c->running = 1;
  LEAVE(ERR_NOERROR);
}

EXPORT int32_t BL_StopChannel(int32_t id, uint8_t ch) {
  ENTER(id); CHECK_CH(ch);
  d->ch[ch].running = 0;
  LEAVE(ERR_NOERROR);
}

static void current_values(Device *d, Channel *c, TCurrentValues_t *v) {
  memset(v, 0, sizeof *v);
  v->State = c->running ? 1 : 0; v->TimeBase = (float)TIMEBASE; v->Ewe = c->running ? c->ewe : (float)g_ocv; v->I = c->running ? c->i : 0;
  v->EweRangeMin = -E_LIMIT; v->EweRangeMax = E_LIMIT; v->IRange = 12;
  v->Eoverflow = c->running && fabsf(c->ewe) >= (float)E_LIMIT;
  v->ElapsedTime = c->running ? (float)((now_s() - c->start_wall) * d->speed) : 0;
  int filled = 0; for (int k = 0; k < c->nq; k++) for (int p = 0; p < 2; p++) filled += (c->released[k][p] - c->taken[k][p]) * c->blocks[k][p].ncols;
  v->MemFilled = filled * 4;
}

EXPORT int32_t BL_GetCurrentValues(int32_t id, uint8_t ch, TCurrentValues_t *v) {
  ENTER(id); CHECK_CH(ch); if (!v) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  current_values(d, &d->ch[ch], v); LEAVE(ERR_NOERROR);
}

EXPORT int32_t BL_GetData(int32_t id, uint8_t ch, uint32_t *buf, TDataInfos_t *info, TCurrentValues_t *v) {
  ENTER(id); CHECK_CH(ch); if (!buf || !info || !v) LEAVE(ERR_GEN_INVALIDPARAMETERS);
  Channel *c = &d->ch[ch];
  memset(info, 0, sizeof *info);
  for (int k = 0; k < c->nq; k++) for (int p = 0; p < 2; p++) {
    Block *b = &c->blocks[k][p];
    int avail = c->released[k][p] - c->taken[k][p];
    if (avail <= 0 || !b->ncols) continue;
    int rows = avail; if (rows * b->ncols > 1000) rows = 1000 / b->ncols;
    memcpy(buf, &b->words[c->taken[k][p] * b->ncols], (size_t)rows * b->ncols * 4);
    c->taken[k][p] += rows;
    info->NbRows = rows; info->NbCols = b->ncols; info->TechniqueIndex = k; info->TechniqueID = c->q[k].id; info->ProcessIndex = b->pid;
    info->StartTime = c->start_time[k];
    current_values(d, c, v);
    LEAVE(ERR_NOERROR);
  }
  current_values(d, c, v);
  LEAVE(ERR_NOERROR);
}

EXPORT int32_t BL_ConvertNumericIntoSingle(uint32_t num, float *psgl) { if (!psgl) return ERR_GEN_INVALIDPARAMETERS; memcpy(psgl, &num, 4); return ERR_NOERROR; }

/* Bench door (not in EClib): drain channel `ch` with BL_GetData and decode every record in C
 * (time formula, float reinterpretation), as the driver does in JS; returns the records decoded
 * and the seconds spent in *seconds; *checksum sums Ewe so the work cannot be optimised away. */
EXPORT int32_t SIM_BenchGetData(int32_t id, uint8_t ch, double *seconds, double *checksum) {
  uint32_t buf[1000]; TDataInfos_t info; TCurrentValues_t v;
  int32_t total = 0; double sum = 0, t0 = now_s();
  for (;;) {
    int32_t r = BL_GetData(id, ch, buf, &info, &v);
    if (r != 0) return r;
    if (info.NbRows == 0) { if (v.State == 0) break; continue; }
    for (int k = 0; k < info.NbRows; k++) {
      const uint32_t *w = &buf[k * info.NbCols];
      double t = info.StartTime + v.TimeBase * (double)(((uint64_t)w[0] << 32) + w[1]);
      float ewe, i; memcpy(&ewe, &w[4], 4); memcpy(&i, &w[3], 4);
      sum += t * 1e-9 + ewe + i + w[5];
    }
    total += info.NbRows;
  }
  if (seconds) *seconds = now_s() - t0;
  if (checksum) *checksum = sum;
  return total;
}
