/*
 * A C client of EClib written from the EC-Lab Development Package's published usage (connect,
 * load firmware, define parameters, load and start a technique, poll BL_GetData, convert
 * numerics): independent of labrig's driver. It declares the packed structures itself and loads
 * the library given on the command line with dlopen, as a client of EClib64.dll would with
 * LoadLibrary. Exit 0 when every check holds.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#pragma pack(push, 4)
typedef struct { int32_t DeviceCode, RAMSize, CPU, NumberOfChannels, NumberOfSlots, FirmwareVersion, FirmwareDate_yyyy, FirmwareDate_mm, FirmwareDate_dd, HTdisplayOn, NbOfConnectedPC; } TDeviceInfos_t;
typedef struct { int32_t v[21]; } TChannelInfos_t; /* room for newer headers' 21 fields */
typedef struct { char ParamStr[64]; int32_t ParamType; int32_t ParamVal; int32_t ParamIndex; } TEccParam_t;
typedef struct { int32_t len; TEccParam_t *pParams; } TEccParams_t;
typedef struct { int32_t State, MemFilled; float TimeBase, Ewe, EweRangeMin, EweRangeMax, Ece, EceRangeMin, EceRangeMax; int32_t Eoverflow; float I; int32_t IRange, Ioverflow; float ElapsedTime, Freq, Rcomp; int32_t Saturation, OptErr, OptPos; } TCurrentValues_t;
typedef struct { int32_t IRQskipped, NbRows, NbCols, TechniqueIndex, TechniqueID, ProcessIndex, loop; double StartTime; int32_t MuxPad; } TDataInfos_t;
#pragma pack(pop)

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); return 1; } while (0)
#define LOAD(name) name##_t name = (name##_t)dlsym(h, #name); if (!name) FAIL("missing %s", #name)

typedef int32_t (*BL_Connect_t)(const char *, uint8_t, int32_t *, TDeviceInfos_t *);
typedef int32_t (*BL_Disconnect_t)(int32_t);
typedef int32_t (*BL_GetErrorMsg_t)(int32_t, char *, uint32_t *);
typedef int32_t (*BL_LoadFirmware_t)(int32_t, uint8_t *, int32_t *, uint8_t, bool, bool, const char *, const char *);
typedef int32_t (*BL_GetChannelInfos_t)(int32_t, uint8_t, TChannelInfos_t *);
typedef int32_t (*BL_DefineSglParameter_t)(const char *, float, int32_t, TEccParam_t *);
typedef int32_t (*BL_DefineIntParameter_t)(const char *, int32_t, int32_t, TEccParam_t *);
typedef int32_t (*BL_LoadTechnique_t)(int32_t, uint8_t, const char *, TEccParams_t, bool, bool, bool);
typedef int32_t (*BL_StartChannel_t)(int32_t, uint8_t);
typedef int32_t (*BL_GetData_t)(int32_t, uint8_t, uint32_t *, TDataInfos_t *, TCurrentValues_t *);
typedef int32_t (*BL_ConvertNumericIntoSingle_t)(uint32_t, float *);
typedef void (*SIM_Configure_t)(double, double, double, double, double, int32_t);
typedef void (*SIM_SetDeviceCode_t)(int32_t);
typedef int32_t (*BL_DefineBoolParameter_t)(const char *, bool, int32_t, TEccParam_t *);
typedef int32_t (*BL_StopChannel_t)(int32_t, uint8_t);

/* Drain channel `ch` until `want` records of technique `tid` arrived (or ~10 s passed); check the
 * layout (NbCols) and hand each record to `each`. Returns the count. */
typedef int (*Each)(const uint32_t *w, double t, void *ctx);
static int drain(BL_GetData_t BL_GetData, int32_t id, uint8_t ch, int tid, int cols, int want, Each each, void *ctx) {
  uint32_t buf[1000]; TDataInfos_t info; TCurrentValues_t cv; int rows = 0;
  for (int spin = 0; spin < 2000 && rows < want; spin++) {
    if (BL_GetData(id, ch, buf, &info, &cv) != 0) return -1;
    for (int k = 0; k < info.NbRows; k++) {
      if (info.TechniqueID != tid || info.NbCols != cols) { fprintf(stderr, "FAIL: technique %d with %d columns (want %d, %d)\n", info.TechniqueID, info.NbCols, tid, cols); return -1; }
      const uint32_t *w = &buf[k * info.NbCols];
      double t = info.StartTime + cv.TimeBase * (((uint64_t)w[0] << 32) + w[1]);
      if (each && each(w, t, ctx)) return -1;
      rows++;
    }
    struct timespec ts = {0, 5000000}; nanosleep(&ts, NULL);
  }
  return rows;
}

/* CP records: t_high, t_low, Ewe, I, cycle; Ewe rises towards the transition time. */
static int cp_each(const uint32_t *w, double t, void *ctx) {
  float *last = ctx, ewe, i; memcpy(&ewe, &w[2], 4); memcpy(&i, &w[3], 4);
  if (t <= 0 || i < 9.9e-7f || i > 1.01e-6f || ewe < last[0] - 1e-4f) { fprintf(stderr, "FAIL: CP record t=%f Ewe=%f I=%g\n", t, ewe, i); return 1; }
  last[0] = ewe; return 0;
}
/* SP-300 OCV records: t_high, t_low, Ewe. */
static int ocv3_each(const uint32_t *w, double t, void *ctx) {
  (void)ctx; float ewe; memcpy(&ewe, &w[2], 4);
  if (t <= 0 || ewe < 0.2f || ewe > 0.3f) { fprintf(stderr, "FAIL: SP-300 OCV record t=%f Ewe=%f\n", t, ewe); return 1; }
  return 0;
}
/* SP-300 VSCAN records: t_high, t_low, <I>, Ewe, cycle; Ewe rises linearly. */
static int vscan5_each(const uint32_t *w, double t, void *ctx) {
  float *last = ctx, ewe; memcpy(&ewe, &w[3], 4);
  if (ewe <= last[0] || ewe > 0.61f || w[4] != 0) { fprintf(stderr, "FAIL: SP-300 VSCAN record t=%f Ewe=%f\n", t, ewe); return 1; }
  last[0] = ewe; return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) FAIL("usage: test_client path/to/libeclib-sim.so");
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) FAIL("dlopen: %s", dlerror());
  LOAD(BL_Connect); LOAD(BL_Disconnect); LOAD(BL_GetErrorMsg); LOAD(BL_LoadFirmware); LOAD(BL_GetChannelInfos); LOAD(BL_DefineSglParameter);
  LOAD(BL_DefineIntParameter); LOAD(BL_LoadTechnique); LOAD(BL_StartChannel); LOAD(BL_GetData); LOAD(BL_ConvertNumericIntoSingle); LOAD(SIM_Configure);
  LOAD(SIM_SetDeviceCode); LOAD(BL_DefineBoolParameter); LOAD(BL_StopChannel);
  if (sizeof(TDataInfos_t) != 40 || sizeof(TEccParams_t) != 12) FAIL("struct sizes %zu %zu", sizeof(TDataInfos_t), sizeof(TEccParams_t));
  SIM_Configure(50.0, 50, 500, 20e-6, 0.2, 1);

  int32_t id = -1; TDeviceInfos_t dev;
  int32_t r = BL_Connect("192.109.209.128", 5, &id, &dev);
  if (r != 0) FAIL("BL_Connect %d", r);
  if (dev.DeviceCode != 5 || dev.NumberOfChannels < 1) FAIL("device infos");
  uint8_t chans[16] = {1, 1, 1, 1}; int32_t res[16];
  if ((r = BL_LoadFirmware(id, chans, res, 16, false, true, NULL, NULL)) != 0 || res[0] != 0) FAIL("BL_LoadFirmware %d %d", r, res[0]);
  TChannelInfos_t ci; if ((r = BL_GetChannelInfos(id, 0, &ci)) != 0) FAIL("BL_GetChannelInfos %d", r);

  /* wrong channel: ERR_GEN_CHANNELNOTPLUGGED (-3) and its text */
  TEccParam_t p[4]; TEccParams_t ps = {0, p};
  if ((r = BL_StartChannel(id, 9)) != -3) FAIL("wrong channel gave %d", r);
  char msg[256]; uint32_t sz = sizeof msg; BL_GetErrorMsg(-3, msg, &sz);
  if (!strstr(msg, "unplugged")) FAIL("error text '%s'", msg);

  /* an unknown parameter label is refused */
  BL_DefineSglParameter("Not_a_param", 1.0f, 0, &p[0]); ps.len = 1;
  if ((r = BL_LoadTechnique(id, 0, "ocv.ecc", ps, true, true, false)) != -4) FAIL("unknown label gave %d", r);

  /* OCV, 2 s recorded every 0.1 s */
  BL_DefineSglParameter("Rest_time_T", 2.0f, 0, &p[0]);
  BL_DefineSglParameter("Record_every_dE", 0.01f, 0, &p[1]);
  BL_DefineSglParameter("Record_every_dT", 0.1f, 0, &p[2]);
  BL_DefineIntParameter("E_Range", 0, 0, &p[3]);
  ps.len = 4;
  if ((r = BL_LoadTechnique(id, 0, "C:\\EC-Lab Development Package\\ocv.ecc", ps, true, true, false)) != 0) FAIL("BL_LoadTechnique %d", r);
  if ((r = BL_StartChannel(id, 0)) != 0) FAIL("BL_StartChannel %d", r);
  if ((r = BL_StartChannel(id, 0)) != -13) FAIL("second start gave %d", r);

  uint32_t buf[1000]; TDataInfos_t info; TCurrentValues_t cv;
  int rows = 0; double lastT = 0;
  for (int spin = 0; spin < 2000 && rows < 20; spin++) {
    if ((r = BL_GetData(id, 0, buf, &info, &cv)) != 0) FAIL("BL_GetData %d", r);
    for (int k = 0; k < info.NbRows; k++) {
      uint32_t *w = &buf[k * info.NbCols];
      double t = info.StartTime + cv.TimeBase * (((uint64_t)w[0] << 32) + w[1]);
      float ewe; BL_ConvertNumericIntoSingle(w[2], &ewe);
      if (info.TechniqueID != 100 || info.NbCols != 4) FAIL("OCV record layout %d %d", info.TechniqueID, info.NbCols);
      if (t <= lastT) FAIL("time not increasing %f", t);
      if (ewe < 0.2f || ewe > 0.3f) FAIL("Ewe %f", ewe);
      lastT = t; rows++;
    }
    struct timespec ts = {0, 5000000}; nanosleep(&ts, NULL);
  }
  if (rows != 20) FAIL("got %d OCV records", rows);
  if (lastT < 1.99 || lastT > 2.01) FAIL("last time %f", lastT);

  /* CP (chronopotentiometry, cp.ecc): 1 µA for 2 s; auto current range is refused, a fixed one accepted */
  TEccParam_t q[10]; TEccParams_t qs = {0, q}; int n = 0;
  BL_DefineSglParameter("Current_step", 1e-6f, 0, &q[n++]);
  BL_DefineBoolParameter("vs_initial", false, 0, &q[n++]);
  BL_DefineSglParameter("Duration_step", 2.0f, 0, &q[n++]);
  BL_DefineIntParameter("Step_number", 0, 0, &q[n++]);
  BL_DefineSglParameter("Record_every_dT", 0.1f, 0, &q[n++]);
  BL_DefineSglParameter("Record_every_dE", 10.0f, 0, &q[n++]);
  BL_DefineIntParameter("N_Cycles", 0, 0, &q[n++]);
  BL_DefineIntParameter("I_Range", 12 /* KBIO_IRANGE_AUTO */, 0, &q[n++]);
  qs.len = n;
  if ((r = BL_LoadTechnique(id, 1, "cp.ecc", qs, true, true, false)) != -4) FAIL("CP with auto I range gave %d", r);
  BL_DefineIntParameter("I_Range", 4 /* KBIO_IRANGE_1uA */, 0, &q[n - 1]);
  if ((r = BL_LoadTechnique(id, 1, "cp.ecc", qs, true, true, false)) != 0) FAIL("BL_LoadTechnique cp %d", r);
  if ((r = BL_StartChannel(id, 1)) != 0) FAIL("BL_StartChannel cp %d", r);
  float lastE = -10; int cp = drain(BL_GetData, id, 1, 102, 5, 20, cp_each, &lastE);
  if (cp != 20) FAIL("got %d CP records", cp);
  if ((r = BL_LoadTechnique(id, 1, "cp4.ecc", qs, true, true, false)) != -401) FAIL("an SP-300 file on a VMP3 gave %d", r);

  if ((r = BL_Disconnect(id)) != 0) FAIL("BL_Disconnect %d", r);
  if ((r = BL_StartChannel(id, 0)) != -1) FAIL("after disconnect %d", r);

  /* An SP-300 (device code 16): kernel4.bin, name4.ecc, its own record layouts */
  SIM_SetDeviceCode(16);
  if ((r = BL_Connect("192.109.209.129", 5, &id, &dev)) != 0 || dev.DeviceCode != 16) FAIL("BL_Connect SP-300 %d code %d", r, dev.DeviceCode);
  if ((r = BL_LoadFirmware(id, chans, res, 16, false, true, "kernel.bin", NULL)) != -309) FAIL("VMP3 kernel on an SP-300 gave %d", r);
  if ((r = BL_LoadFirmware(id, chans, res, 16, false, true, "C:\\EC-Lab Development Package\\kernel4.bin", NULL)) != 0 || res[0] != 0) FAIL("BL_LoadFirmware kernel4 %d", r);
  ps.len = 4;
  if ((r = BL_LoadTechnique(id, 0, "ocv.ecc", ps, true, true, false)) != -401) FAIL("ocv.ecc on an SP-300 gave %d", r);
  if ((r = BL_LoadTechnique(id, 0, "ocv4.ecc", ps, true, true, false)) != 0) FAIL("BL_LoadTechnique ocv4 %d", r);
  if ((r = BL_StartChannel(id, 0)) != 0) FAIL("BL_StartChannel ocv4 %d", r);
  int ocv3 = drain(BL_GetData, id, 0, 100, 3, 20, ocv3_each, NULL);
  if (ocv3 != 20) FAIL("got %d SP-300 OCV records", ocv3);

  /* Voltage scan (vscan4.ecc) from 0 to 0.6 V at 0.1 V/s: two vertices, one scan */
  n = 0;
  BL_DefineSglParameter("Voltage_step", 0.0f, 0, &q[n++]);
  BL_DefineSglParameter("Voltage_step", 0.6f, 1, &q[n++]);
  BL_DefineBoolParameter("vs_initial", false, 0, &q[n++]);
  BL_DefineBoolParameter("vs_initial", false, 1, &q[n++]);
  BL_DefineSglParameter("Scan_Rate", 0.1f, 0, &q[n++]);
  BL_DefineSglParameter("Scan_Rate", 0.1f, 1, &q[n++]);
  BL_DefineIntParameter("Scan_number", 0, 0, &q[n++]);
  BL_DefineSglParameter("Record_every_dE", 0.01f, 0, &q[n++]);
  BL_DefineIntParameter("N_Cycles", 0, 0, &q[n++]);
  qs.len = n;
  if ((r = BL_LoadTechnique(id, 2, "vscan4.ecc", qs, true, true, false)) != 0) FAIL("BL_LoadTechnique vscan4 %d", r);
  if ((r = BL_StartChannel(id, 2)) != 0) FAIL("BL_StartChannel vscan4 %d", r);
  float lastV = -1; int vs = drain(BL_GetData, id, 2, 124, 5, 60, vscan5_each, &lastV);
  if (vs < 55 || vs > 60) FAIL("got %d VSCAN records", vs);
  BL_StopChannel(id, 2);
  if ((r = BL_Disconnect(id)) != 0) FAIL("BL_Disconnect SP-300 %d", r);
  SIM_SetDeviceCode(5);
  printf("ok: %d OCV records, t_last=%.3f s; %d CP records; SP-300: %d OCV records, %d VSCAN records\n", rows, lastT, cp, ocv3, vs);
  dlclose(h);
  return 0;
}
