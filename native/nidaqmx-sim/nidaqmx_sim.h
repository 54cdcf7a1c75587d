/*
 * labrig NI-DAQmx simulator: types and constants of the NI-DAQmx C API (NIDAQmx.h) that the
 * simulator library exports, plus labrig's own simulator controls (labrigSim*).
 * Values are taken from NI's published constants (see ../shared/reference/nidaqmx.md).
 */
#ifndef LABRIG_NIDAQMX_SIM_H
#define LABRIG_NIDAQMX_SIM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef signed int int32;
typedef unsigned int uInt32;
typedef unsigned char uInt8;
typedef unsigned long long uInt64;
typedef double float64;
typedef uInt32 bool32;
typedef void *TaskHandle;

#define DAQmxFailed(error) ((error) < 0)

#define DAQmx_Val_Cfg_Default -1
#define DAQmx_Val_RSE 10083
#define DAQmx_Val_NRSE 10078
#define DAQmx_Val_Diff 10106
#define DAQmx_Val_PseudoDiff 12529
#define DAQmx_Val_Volts 10348
#define DAQmx_Val_Amps 10342
#define DAQmx_Val_FromCustomScale 10065
#define DAQmx_Val_Default -1
#define DAQmx_Val_Internal 10200
#define DAQmx_Val_External 10167
#define DAQmx_Val_Rising 10280
#define DAQmx_Val_Falling 10171
#define DAQmx_Val_FiniteSamps 10178
#define DAQmx_Val_ContSamps 10123
#define DAQmx_Val_HWTimedSinglePoint 12522
#define DAQmx_Val_GroupByChannel 0
#define DAQmx_Val_GroupByScanNumber 1
#define DAQmx_Val_ChanPerLine 0
#define DAQmx_Val_ChanForAllLines 1
#define DAQmx_Val_Acquired_Into_Buffer 1
#define DAQmx_Val_Transferred_From_Buffer 2
#define DAQmx_Val_Task_Start 0
#define DAQmx_Val_Task_Stop 1
#define DAQmx_Val_Task_Verify 2
#define DAQmx_Val_Task_Commit 3
#define DAQmx_Val_Task_Reserve 4
#define DAQmx_Val_Task_Unreserve 5
#define DAQmx_Val_Task_Abort 6
#define DAQmx_Val_Auto -1
#define DAQmx_Val_WaitInfinitely -1.0

typedef int32 (*DAQmxEveryNSamplesEventCallbackPtr)(TaskHandle taskHandle, int32 everyNsamplesEventType, uInt32 nSamples, void *callbackData);
typedef int32 (*DAQmxDoneEventCallbackPtr)(TaskHandle taskHandle, int32 status, void *callbackData);

int32 DAQmxCreateTask(const char taskName[], TaskHandle *taskHandle);
int32 DAQmxStartTask(TaskHandle taskHandle);
int32 DAQmxStopTask(TaskHandle taskHandle);
int32 DAQmxClearTask(TaskHandle taskHandle);
int32 DAQmxTaskControl(TaskHandle taskHandle, int32 action);
int32 DAQmxIsTaskDone(TaskHandle taskHandle, bool32 *isTaskDone);
int32 DAQmxWaitUntilTaskDone(TaskHandle taskHandle, float64 timeToWait);
int32 DAQmxCreateAIVoltageChan(TaskHandle taskHandle, const char physicalChannel[], const char nameToAssignToChannel[], int32 terminalConfig, float64 minVal, float64 maxVal, int32 units, const char customScaleName[]);
int32 DAQmxCreateAICurrentChan(TaskHandle taskHandle, const char physicalChannel[], const char nameToAssignToChannel[], int32 terminalConfig, float64 minVal, float64 maxVal, int32 units, int32 shuntResistorLoc, float64 extShuntResistorVal, const char customScaleName[]);
int32 DAQmxCreateAOVoltageChan(TaskHandle taskHandle, const char physicalChannel[], const char nameToAssignToChannel[], float64 minVal, float64 maxVal, int32 units, const char customScaleName[]);
int32 DAQmxCreateDIChan(TaskHandle taskHandle, const char lines[], const char nameToAssignToLines[], int32 lineGrouping);
int32 DAQmxCreateDOChan(TaskHandle taskHandle, const char lines[], const char nameToAssignToLines[], int32 lineGrouping);
int32 DAQmxCfgSampClkTiming(TaskHandle taskHandle, const char source[], float64 rate, int32 activeEdge, int32 sampleMode, uInt64 sampsPerChan);
int32 DAQmxCfgDigEdgeStartTrig(TaskHandle taskHandle, const char triggerSource[], int32 triggerEdge);
int32 DAQmxReadAnalogF64(TaskHandle taskHandle, int32 numSampsPerChan, float64 timeout, bool32 fillMode, float64 readArray[], uInt32 arraySizeInSamps, int32 *sampsPerChanRead, bool32 *reserved);
int32 DAQmxReadAnalogScalarF64(TaskHandle taskHandle, float64 timeout, float64 *value, bool32 *reserved);
int32 DAQmxWriteAnalogF64(TaskHandle taskHandle, int32 numSampsPerChan, bool32 autoStart, float64 timeout, bool32 dataLayout, const float64 writeArray[], int32 *sampsPerChanWritten, bool32 *reserved);
int32 DAQmxWriteAnalogScalarF64(TaskHandle taskHandle, bool32 autoStart, float64 timeout, float64 value, bool32 *reserved);
int32 DAQmxReadDigitalLines(TaskHandle taskHandle, int32 numSampsPerChan, float64 timeout, bool32 fillMode, uInt8 readArray[], uInt32 arraySizeInBytes, int32 *sampsPerChanRead, int32 *numBytesPerSamp, bool32 *reserved);
int32 DAQmxWriteDigitalLines(TaskHandle taskHandle, int32 numSampsPerChan, bool32 autoStart, float64 timeout, bool32 dataLayout, const uInt8 writeArray[], int32 *sampsPerChanWritten, bool32 *reserved);
int32 DAQmxReadDigitalU32(TaskHandle taskHandle, int32 numSampsPerChan, float64 timeout, bool32 fillMode, uInt32 readArray[], uInt32 arraySizeInSamps, int32 *sampsPerChanRead, bool32 *reserved);
int32 DAQmxWriteDigitalU32(TaskHandle taskHandle, int32 numSampsPerChan, bool32 autoStart, float64 timeout, bool32 dataLayout, const uInt32 writeArray[], int32 *sampsPerChanWritten, bool32 *reserved);
int32 DAQmxRegisterEveryNSamplesEvent(TaskHandle task, int32 everyNsamplesEventType, uInt32 nSamples, uInt32 options, DAQmxEveryNSamplesEventCallbackPtr callbackFunction, void *callbackData);
int32 DAQmxRegisterDoneEvent(TaskHandle task, uInt32 options, DAQmxDoneEventCallbackPtr callbackFunction, void *callbackData);
int32 DAQmxGetErrorString(int32 errorCode, char errorString[], uInt32 bufferSize);
int32 DAQmxGetExtendedErrorInfo(char errorString[], uInt32 bufferSize);
int32 DAQmxGetSystemInfoAttribute(int32 attribute, void *value, ...);
int32 DAQmxGetTaskAttribute(TaskHandle taskHandle, int32 attribute, void *value, ...);
int32 DAQmxGetChanAttribute(TaskHandle taskHandle, const char channel[], int32 attribute, void *value, ...);
int32 DAQmxGetReadAttribute(TaskHandle taskHandle, int32 attribute, void *value, ...);
int32 DAQmxGetWriteAttribute(TaskHandle taskHandle, int32 attribute, void *value, ...);
int32 DAQmxGetTimingAttribute(TaskHandle taskHandle, int32 attribute, void *value, ...);
int32 DAQmxSetRuntimeEnvironment(const char environment[], const char environmentVersion[], const char reserved1[], const char reserved2[]);
int32 DAQmxInternalGetLastCreatedChan(char value[], uInt32 size);

/* labrig simulator controls (not part of NI-DAQmx). */
/* Replace the simulated devices (same syntax as LABRIG_NIDAQMX_SIM); fails while tasks exist. */
int32 labrigSimConfigure(const char spec[]);
/* Number of tasks created and not yet cleared. */
int32 labrigSimOpenTasks(void);
/* The simulator's identification, e.g. "labrig NI-DAQmx simulator 1.0". */
int32 labrigSimVersion(char value[], uInt32 size);

#ifdef __cplusplus
}
#endif
#endif
