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

int main(int argc, char **argv) {
  if (argc < 2) FAIL("usage: test_client path/to/libeclib-sim.so");
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) FAIL("dlopen: %s", dlerror());
  LOAD(BL_Connect); LOAD(BL_Disconnect); LOAD(BL_GetErrorMsg); LOAD(BL_LoadFirmware); LOAD(BL_GetChannelInfos); LOAD(BL_DefineSglParameter);
  LOAD(BL_DefineIntParameter); LOAD(BL_LoadTechnique); LOAD(BL_StartChannel); LOAD(BL_GetData); LOAD(BL_ConvertNumericIntoSingle); LOAD(SIM_Configure);
  if (sizeof(TDataInfos_t) != 40 || sizeof(TEccParams_t) != 12) FAIL("struct sizes %zu %zu", sizeof(TDataInfos_t), sizeof(TEccParams_t));
  SIM_Configure(50.0, 50, 500, 20e-6, 0.2, 1);

  int32_t id = -1; TDeviceInfos_t dev;
  int32_t r = BL_Connect("192.109.209.128", 5, &id, &dev);
  if (r != 0) FAIL("BL_Connect %d", r);
  if (dev.DeviceCode != 5 || dev.NumberOfChannels < 1) FAIL("device infos");
  uint8_t chans[16] = {1}; int32_t res[16];
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
  if ((r = BL_Disconnect(id)) != 0) FAIL("BL_Disconnect %d", r);
  if ((r = BL_StartChannel(id, 0)) != -1) FAIL("after disconnect %d", r);
  printf("ok: %d OCV records, t_last=%.3f s\n", rows, lastT);
  dlclose(h);
  return 0;
}
