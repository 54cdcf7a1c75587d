/*
 * C baseline of labrig's nidaqmx bench: the same work as the driver, written the way NI's C
 * examples do it, against the same library (linked as libnidaqmx.so).
 *   nidaqmx-cbench cont SECONDS RATE CHANNELS   continuous AI on Dev1/ai0:N-1 at RATE S/s per
 *       channel, an EveryNSamples callback every RATE/10 samples reading everything available;
 *       ai0 must be the simulator's counter: gaps are counted.
 *   nidaqmx-cbench ondemand MS                  single on-demand reads of Dev1/ai0 for MS ms.
 * Prints one JSON line: samples, seconds, rate, cpu (share of one core), gaps, status.
 */
#include "nidaqmx_sim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static double *buf;
static uInt32 bufSize;
static int nch;
static unsigned long long rows = 0, gaps = 0;
static double expect = 0;
static int32 status = 0;

static int32 everyN(TaskHandle task, int32 type, uInt32 n, void *data) {
  (void)type; (void)n; (void)data;
  int32 read = 0;
  int32 rc = DAQmxReadAnalogF64(task, DAQmx_Val_Auto, 0.0, DAQmx_Val_GroupByScanNumber, buf, bufSize, &read, NULL);
  if (rc < 0) { if (!status) status = rc; return 0; }
  for (int32 i = 0; i < read; i++) {
    double k = buf[(size_t)i * nch];
    if (k != expect) gaps++;
    expect = k + 1;
  }
  rows += (unsigned long long)read;
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "cont")) {
    double seconds = atof(argv[2]), rate = atof(argv[3]);
    nch = atoi(argv[4]);
    char chans[64];
    snprintf(chans, sizeof chans, "Dev1/ai0:%d", nch - 1);
    bufSize = (uInt32)(100000 * nch + rate * nch);
    buf = malloc(sizeof(double) * bufSize);
    TaskHandle task = 0;
    int32 rc = DAQmxCreateTask("", &task);
    if (!rc) rc = DAQmxCreateAIVoltageChan(task, chans, "", DAQmx_Val_Cfg_Default, -10, 10, DAQmx_Val_Volts, NULL);
    if (!rc) rc = DAQmxCfgSampClkTiming(task, "", rate, DAQmx_Val_Rising, DAQmx_Val_ContSamps, 0);
    if (!rc) rc = DAQmxRegisterEveryNSamplesEvent(task, DAQmx_Val_Acquired_Into_Buffer, (uInt32)(rate / 10), 0, everyN, NULL);
    double c0 = cpu_s(), t0 = now_s();
    if (!rc) rc = DAQmxStartTask(task);
    while (!rc && now_s() - t0 < seconds) {
      struct timespec ts = { 0, 20000000 };
      nanosleep(&ts, NULL);
    }
    DAQmxStopTask(task);
    double t1 = now_s(), c1 = cpu_s();
    DAQmxClearTask(task);
    printf("{\"samples\": %llu, \"seconds\": %.6f, \"rate\": %.1f, \"cpu\": %.4f, \"gaps\": %llu, \"status\": %d}\n",
           rows * nch, t1 - t0, rows * nch / (t1 - t0), (c1 - c0) / (t1 - t0), gaps, rc ? rc : status);
    return 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "ondemand")) {
    double ms = atof(argv[2]);
    TaskHandle task = 0;
    double v;
    int32 read = 0;
    int32 rc = DAQmxCreateTask("", &task);
    if (!rc) rc = DAQmxCreateAIVoltageChan(task, "Dev1/ai0", "", DAQmx_Val_Cfg_Default, -10, 10, DAQmx_Val_Volts, NULL);
    unsigned long long n = 0;
    double c0 = cpu_s(), t0 = now_s(), t1 = t0;
    while (!rc && t1 - t0 < ms / 1000) {
      for (int i = 0; i < 1000 && !rc; i++, n++) rc = DAQmxReadAnalogF64(task, 1, 10.0, DAQmx_Val_GroupByScanNumber, &v, 1, &read, NULL);
      t1 = now_s();
    }
    double c1 = cpu_s();
    DAQmxClearTask(task);
    printf("{\"samples\": %llu, \"seconds\": %.6f, \"rate\": %.1f, \"cpu\": %.4f, \"gaps\": 0, \"status\": %d}\n", n, t1 - t0, n / (t1 - t0), (c1 - c0) / (t1 - t0), rc);
    return 0;
  }
  fprintf(stderr, "usage: nidaqmx-cbench cont SECONDS RATE CHANNELS | ondemand MS\n");
  return 2;
}
