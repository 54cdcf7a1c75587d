/*
 * A plain NI-DAQmx C client, independent of labrig's driver: it follows the call sequences of
 * NI's published ANSI C examples (continuous acquisition on the internal clock with an
 * EveryNSamples callback, finite acquisition, analog output, digital lines) and NI's error
 * handling pattern (DAQmxFailed -> DAQmxGetExtendedErrorInfo), against whatever library it was
 * linked with (labrig's simulator as libnidaqmx.so). Every step prints one line; a step that does
 * not behave as NI documents prints FAIL and the program exits 1.
 *
 * Run with LABRIG_NIDAQMX_SIM="Dev1:ai=4,ao=2,ports=2,lines=8;Dev1/ai2=counter;Dev1/ai3=constant:2.5".
 */
#include "nidaqmx_sim.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures = 0;

#define CHECK(what, cond) do { if (cond) printf("ok   %s\n", what); else { printf("FAIL %s\n", what); failures++; } } while (0)
#define EXPECT(what, call, code) do { int32 rc_ = (call); if (rc_ == (code)) printf("ok   %s -> %d\n", what, rc_); else { char b_[2048] = ""; DAQmxGetExtendedErrorInfo(b_, sizeof b_); printf("FAIL %s -> %d (expected %d): %s\n", what, rc_, (code), b_); failures++; } } while (0)

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* ---- continuous acquisition, internal clock, EveryNSamples callback (NI: ContAcq-IntClk) ---- */
static pthread_t mainThread;
static int cbCalls = 0, cbOtherThread = 0, cbErrors = 0;
static double lastCounter = -1;
static int gap = 0;

static int32 everyN(TaskHandle task, int32 type, uInt32 n, void *data) {
  (void)type; (void)data;
  double buf[2 * 1000];
  int32 read = 0;
  int32 rc = DAQmxReadAnalogF64(task, (int32)n, 10.0, DAQmx_Val_GroupByScanNumber, buf, 2 * 1000, &read, NULL);
  if (DAQmxFailed(rc)) { cbErrors++; return 0; }
  for (int i = 0; i < read; i++) {
    double k = buf[2 * i + 1]; /* ai2 = counter */
    if (k != lastCounter + 1) gap = 1;
    lastCounter = k;
  }
  cbCalls++;
  if (!pthread_equal(pthread_self(), mainThread)) cbOtherThread++;
  return 0;
}

static int doneCalls = 0;
static int32 doneCb(TaskHandle task, int32 status, void *data) {
  (void)task; (void)data;
  if (status == 0) doneCalls++;
  return 0;
}

static void continuous(void) {
  TaskHandle task = 0;
  mainThread = pthread_self();
  EXPECT("DAQmxCreateTask(\"cont\")", DAQmxCreateTask("cont", &task), 0);
  EXPECT("DAQmxCreateAIVoltageChan(Dev1/ai1:2, RSE, -10..10 V)", DAQmxCreateAIVoltageChan(task, "Dev1/ai1:2", "", DAQmx_Val_RSE, -10.0, 10.0, DAQmx_Val_Volts, NULL), 0);
  EXPECT("DAQmxCfgSampClkTiming(\"\", 10 kS/s, rising, continuous, 1000)", DAQmxCfgSampClkTiming(task, "", 10000.0, DAQmx_Val_Rising, DAQmx_Val_ContSamps, 1000), 0);
  EXPECT("DAQmxRegisterEveryNSamplesEvent(1000)", DAQmxRegisterEveryNSamplesEvent(task, DAQmx_Val_Acquired_Into_Buffer, 1000, 0, everyN, NULL), 0);
  EXPECT("DAQmxRegisterDoneEvent", DAQmxRegisterDoneEvent(task, 0, doneCb, NULL), 0);
  EXPECT("DAQmxStartTask", DAQmxStartTask(task), 0);
  EXPECT("DAQmxRegisterEveryNSamplesEvent while running", DAQmxRegisterEveryNSamplesEvent(task, DAQmx_Val_Acquired_Into_Buffer, 100, 0, everyN, NULL), -200986);
  for (int i = 0; i < 200 && cbCalls < 5; i++) sleep_ms(10);
  EXPECT("DAQmxStopTask", DAQmxStopTask(task), 0);
  EXPECT("DAQmxClearTask", DAQmxClearTask(task), 0);
  CHECK("EveryNSamples callback fired at least 5 times", cbCalls >= 5);
  CHECK("callbacks ran on the library's own thread", cbOtherThread == cbCalls && cbCalls > 0);
  CHECK("the callback's reads succeeded", cbErrors == 0);
  CHECK("the counter channel has no gap", !gap && lastCounter >= 4999);
  CHECK("no Done event for a continuous task", doneCalls == 0);
  EXPECT("DAQmxStartTask on a cleared handle", DAQmxStartTask(task), -200088);
}

/* ---- finite acquisition (NI: Acq-IntClk) ---- */
static void finiteAcq(void) {
  TaskHandle task = 0;
  double data[3 * 500];
  int32 read = 0;
  EXPECT("DAQmxCreateTask(\"\")", DAQmxCreateTask("", &task), 0);
  char name[64] = "";
  int32 need = DAQmxGetTaskAttribute(task, 0x1276, NULL, 0);
  CHECK("task name size query returns the size", need == (int32)strlen("_unnamedTask<0>") + 1);
  EXPECT("DAQmxGetTaskAttribute(Task.Name)", DAQmxGetTaskAttribute(task, 0x1276, name, (uInt32)sizeof name), 0);
  CHECK("unnamed task is _unnamedTask<0>", strcmp(name, "_unnamedTask<0>") == 0);
  EXPECT("DAQmxCreateAIVoltageChan(Dev1/ai1:3)", DAQmxCreateAIVoltageChan(task, "Dev1/ai1:3", "", DAQmx_Val_Cfg_Default, -5.0, 5.0, DAQmx_Val_Volts, NULL), 0);
  EXPECT("DAQmxRegisterDoneEvent", DAQmxRegisterDoneEvent(task, 0, doneCb, NULL), 0);
  EXPECT("DAQmxCfgSampClkTiming(1 kS/s, finite, 500)", DAQmxCfgSampClkTiming(task, "", 1000.0, DAQmx_Val_Rising, DAQmx_Val_FiniteSamps, 500), 0);
  EXPECT("DAQmxStartTask", DAQmxStartTask(task), 0);
  EXPECT("DAQmxReadAnalogF64(-1 = all, 10 s, by channel)", DAQmxReadAnalogF64(task, -1, 10.0, DAQmx_Val_GroupByChannel, data, 3 * 500, &read, NULL), 0);
  CHECK("read 500 samples per channel", read == 500);
  int ok = 1;
  for (int i = 0; i < 500; i++) ok &= data[500 + i] == i && data[1000 + i] == 2.5;
  CHECK("ai2 counts 0..499 and ai3 holds 2.5 V (grouped by channel)", ok);
  EXPECT("DAQmxWaitUntilTaskDone", DAQmxWaitUntilTaskDone(task, 10.0), 0);
  bool32 done = 0;
  EXPECT("DAQmxIsTaskDone", DAQmxIsTaskDone(task, &done), 0);
  CHECK("task is done", done == 1);
  for (int i = 0; i < 100 && doneCalls == 0; i++) sleep_ms(10);
  CHECK("Done event fired once", doneCalls == 1);
  EXPECT("DAQmxStopTask", DAQmxStopTask(task), 0);
  EXPECT("DAQmxClearTask", DAQmxClearTask(task), 0);
}

/* ---- analog output, on demand (NI: VoltUpdate), looped back to AI ---- */
static void analogOutput(void) {
  TaskHandle ao = 0, ai = 0;
  double v = 0;
  EXPECT("DAQmxCreateTask(ao)", DAQmxCreateTask("ao", &ao), 0);
  EXPECT("DAQmxCreateAOVoltageChan(Dev1/ao0, -10..10)", DAQmxCreateAOVoltageChan(ao, "Dev1/ao0", "", -10.0, 10.0, DAQmx_Val_Volts, NULL), 0);
  EXPECT("DAQmxStartTask(ao)", DAQmxStartTask(ao), 0);
  double out[1] = { 3.25 };
  int32 written = 0;
  EXPECT("DAQmxWriteAnalogF64(1 sample, 3.25 V)", DAQmxWriteAnalogF64(ao, 1, 1, 10.0, DAQmx_Val_GroupByChannel, out, &written, NULL), 0);
  CHECK("wrote 1 sample", written == 1);
  EXPECT("DAQmxWriteAnalogScalarF64(11 V)", DAQmxWriteAnalogScalarF64(ao, 1, 10.0, 11.0, NULL), -200561);
  EXPECT("DAQmxCreateTask(ai)", DAQmxCreateTask("ai", &ai), 0);
  EXPECT("DAQmxCreateAIVoltageChan(Dev1/ai0)", DAQmxCreateAIVoltageChan(ai, "Dev1/ai0", "", DAQmx_Val_Diff, -10.0, 10.0, DAQmx_Val_Volts, NULL), 0);
  EXPECT("DAQmxReadAnalogScalarF64", DAQmxReadAnalogScalarF64(ai, 10.0, &v, NULL), 0);
  CHECK("ai0 reads back ao0 (3.25 V)", v == 3.25);
  EXPECT("DAQmxClearTask(ao)", DAQmxClearTask(ao), 0);
  EXPECT("DAQmxClearTask(ai)", DAQmxClearTask(ai), 0);
}

/* ---- digital lines (NI: WriteDigChan / ReadDigChan) ---- */
static void digital(void) {
  TaskHandle dout = 0, din = 0;
  uInt8 lines[8] = { 1, 0, 1, 0, 0, 0, 0, 1 }, got[8] = { 0 };
  int32 written = 0, read = 0, bytes = 0;
  EXPECT("DAQmxCreateTask(do)", DAQmxCreateTask("do", &dout), 0);
  EXPECT("DAQmxCreateDOChan(Dev1/port0/line0:7, all lines)", DAQmxCreateDOChan(dout, "Dev1/port0/line0:7", "", DAQmx_Val_ChanForAllLines), 0);
  EXPECT("DAQmxStartTask(do)", DAQmxStartTask(dout), 0);
  EXPECT("DAQmxWriteDigitalLines", DAQmxWriteDigitalLines(dout, 1, 1, 10.0, DAQmx_Val_GroupByChannel, lines, &written, NULL), 0);
  EXPECT("DAQmxCreateTask(di)", DAQmxCreateTask("di", &din), 0);
  EXPECT("DAQmxCreateDIChan(Dev1/port0/line0:7)", DAQmxCreateDIChan(din, "Dev1/port0/line0:7", "", DAQmx_Val_ChanForAllLines), 0);
  EXPECT("DAQmxReadDigitalLines", DAQmxReadDigitalLines(din, 1, 10.0, DAQmx_Val_GroupByChannel, got, 8, &read, &bytes, NULL), 0);
  CHECK("8 bytes per sample, lines read back as written", bytes == 8 && memcmp(got, lines, 8) == 0);
  uInt32 word = 0;
  EXPECT("DAQmxReadDigitalU32", DAQmxReadDigitalU32(din, 1, 10.0, DAQmx_Val_GroupByChannel, &word, 1, &read, NULL), 0);
  CHECK("port value 0x85", word == 0x85);
  EXPECT("DAQmxClearTask(do)", DAQmxClearTask(dout), 0);
  EXPECT("DAQmxClearTask(di)", DAQmxClearTask(din), 0);
}

/* ---- errors with NI's codes ---- */
static void errors(void) {
  TaskHandle task = 0;
  double buf[4];
  int32 read = 0;
  char text[2048];
  EXPECT("DAQmxStartTask(NULL)", DAQmxStartTask(NULL), -200088);
  EXPECT("DAQmxCreateTask(err)", DAQmxCreateTask("err", &task), 0);
  EXPECT("DAQmxCreateTask(err) again", DAQmxCreateTask("err", &(TaskHandle){0}), -200089);
  EXPECT("DAQmxCreateAIVoltageChan(Dev1/ai99)", DAQmxCreateAIVoltageChan(task, "Dev1/ai99", "", DAQmx_Val_RSE, -10, 10, DAQmx_Val_Volts, NULL), -200170);
  DAQmxGetExtendedErrorInfo(text, sizeof text);
  CHECK("extended info names the channel", strstr(text, "Dev1/ai99") != NULL && strstr(text, "-200170") != NULL);
  EXPECT("DAQmxCreateAIVoltageChan(Dev9/ai0)", DAQmxCreateAIVoltageChan(task, "Dev9/ai0", "", DAQmx_Val_RSE, -10, 10, DAQmx_Val_Volts, NULL), -200220);
  EXPECT("DAQmxCreateAIVoltageChan(Dev1/ai0, -20..20 V)", DAQmxCreateAIVoltageChan(task, "Dev1/ai0", "", DAQmx_Val_RSE, -20, 20, DAQmx_Val_Volts, NULL), -200077);
  EXPECT("DAQmxCreateAIVoltageChan(Dev1/ai1)", DAQmxCreateAIVoltageChan(task, "Dev1/ai1", "", DAQmx_Val_RSE, -10, 10, DAQmx_Val_Volts, NULL), 0);
  EXPECT("DAQmxCfgSampClkTiming(100 S/s, continuous)", DAQmxCfgSampClkTiming(task, NULL, 100.0, DAQmx_Val_Rising, DAQmx_Val_ContSamps, 100), 0);
  EXPECT("DAQmxStartTask", DAQmxStartTask(task), 0);
  EXPECT("DAQmxReadAnalogF64(4 samples, 0 s timeout)", DAQmxReadAnalogF64(task, 4, 0.0, DAQmx_Val_GroupByChannel, buf, 4, &read, NULL), -200284);
  EXPECT("DAQmxReadAnalogF64(4 samples into 2)", DAQmxReadAnalogF64(task, 4, 1.0, DAQmx_Val_GroupByChannel, buf, 2, &read, NULL), -200229);
  EXPECT("DAQmxStopTask", DAQmxStopTask(task), 0);
  EXPECT("DAQmxCfgSampClkTiming(100 kS/s, continuous, 1000-sample buffer)", DAQmxCfgSampClkTiming(task, NULL, 100000.0, DAQmx_Val_Rising, DAQmx_Val_ContSamps, 1000), 0);
  EXPECT("DAQmxStartTask", DAQmxStartTask(task), 0);
  sleep_ms(200); /* 20000 samples into a 100000-sample buffer: still fine */
  EXPECT("DAQmxReadAnalogF64 within the buffer", DAQmxReadAnalogF64(task, 4, 1.0, DAQmx_Val_GroupByChannel, buf, 4, &read, NULL), 0);
  sleep_ms(1200); /* more than a buffer behind */
  EXPECT("DAQmxReadAnalogF64 after falling behind", DAQmxReadAnalogF64(task, 4, 1.0, DAQmx_Val_GroupByChannel, buf, 4, &read, NULL), -200279);
  int32 size = DAQmxGetErrorString(-200279, NULL, 0);
  CHECK("DAQmxGetErrorString size query", size > 1);
  EXPECT("DAQmxGetErrorString(-200279)", DAQmxGetErrorString(-200279, text, sizeof text), 0);
  CHECK("error string says overwritten", strstr(text, "overwritten") != NULL);
  EXPECT("DAQmxClearTask (running)", DAQmxClearTask(task), 0);
  CHECK("no task left open", labrigSimOpenTasks() == 0);
}

int main(void) {
  uInt32 major = 0;
  char devs[256] = "";
  EXPECT("DAQmxGetSystemInfoAttribute(MajorVersion)", DAQmxGetSystemInfoAttribute(0x1272, &major), 0);
  EXPECT("DAQmxGetSystemInfoAttribute(DevNames)", DAQmxGetSystemInfoAttribute(0x193B, devs, (uInt32)sizeof devs), 0);
  CHECK("device list is Dev1", strcmp(devs, "Dev1") == 0);
  continuous();
  finiteAcq();
  analogOutput();
  digital();
  errors();
  printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
