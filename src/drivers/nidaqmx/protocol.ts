/**
 * NI-DAQmx C API facts, pure (no I/O): the constants, error codes and C prototypes labrig binds
 * (NIDAQmx.h; argument types as nidaqmx-python declares them, see `../shared/reference/nidaqmx.md`),
 * and the channel-name grammar (`Dev1/ai0:3`, `Dev1/port0/line0:7`).
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';
import type { VendorCodeTable } from '../../core/errors.js';

/** NI-DAQmx constants (DAQmx_Val_*). */
export const DAQMX = {
  Cfg_Default: -1,
  RSE: 10083,
  NRSE: 10078,
  Diff: 10106,
  PseudoDiff: 12529,
  Volts: 10348,
  Amps: 10342,
  Default: -1,
  Internal: 10200,
  External: 10167,
  Rising: 10280,
  Falling: 10171,
  FiniteSamps: 10178,
  ContSamps: 10123,
  GroupByChannel: 0,
  GroupByScanNumber: 1,
  ChanPerLine: 0,
  ChanForAllLines: 1,
  Acquired_Into_Buffer: 1,
  Auto: -1,
  WaitInfinitely: -1,
} as const;

/** Error codes labrig treats specially (nidaqmx-python's error_codes.py names). */
export const DAQMX_ERR = {
  SAMPLES_NOT_YET_AVAILABLE: -200284,
  SAMPLES_NO_LONGER_AVAILABLE: -200279,
  OPERATION_TIMED_OUT: -200474,
  INVALID_TASK: -200088,
  INVALID_DEVICE_ID: -200220,
  PHYSICAL_CHAN_DOES_NOT_EXIST: -200170,
  INVALID_ATTRIBUTE_VALUE: -200077,
} as const;

/** Codes → short kind, used when the library's own text is not available. */
export const NIDAQMX_ERRORS: VendorCodeTable = {
  [-200284]: { text: 'samples not yet available (read timed out)', kind: 'timeout' },
  [-200279]: { text: 'samples no longer available: the buffer was overwritten (reader fell behind)', kind: 'overflow' },
  [-200474]: { text: 'operation timed out', kind: 'timeout' },
  [-200010]: { text: 'input FIFO overflow', kind: 'overflow' },
  [-200019]: { text: 'ADC overrun', kind: 'overflow' },
  [-200088]: { text: 'invalid task (NULL or cleared handle)', kind: 'invalid-task' },
  [-200220]: { text: 'invalid device identifier', kind: 'invalid-device' },
  [-200170]: { text: 'physical channel does not exist', kind: 'invalid-channel' },
  [-200086]: { text: 'invalid syntax for physical channel range', kind: 'invalid-channel' },
  [-200077]: { text: 'invalid attribute value', kind: 'invalid-value' },
  [-200802]: { text: 'cannot write: task not started and auto start is false', kind: 'not-started' },
  [-201003]: { text: 'device cannot be accessed', kind: 'unavailable' },
  [-50103]: { text: 'the resource is reserved by another task', kind: 'reserved' },
};

/** Callback types (cdecl), declared before the functions that take them. */
export const DAQMX_CALLBACKS = {
  everyN: 'int32_t DAQmxEveryNSamplesEventCallbackPtr(void *taskHandle, int32_t everyNsamplesEventType, uint32_t nSamples, void *callbackData)',
  done: 'int32_t DAQmxDoneEventCallbackPtr(void *taskHandle, int32_t status, void *callbackData)',
} as const;

/** The C functions labrig calls, by JS name (TaskHandle = void*, bool32 = uint32, float64 = double). */
export const DAQMX_FUNCTIONS = {
  CreateTask: 'int32_t DAQmxCreateTask(const char *taskName, _Out_ void **taskHandle)',
  StartTask: 'int32_t DAQmxStartTask(void *taskHandle)',
  StopTask: 'int32_t DAQmxStopTask(void *taskHandle)',
  ClearTask: 'int32_t DAQmxClearTask(void *taskHandle)',
  IsTaskDone: 'int32_t DAQmxIsTaskDone(void *taskHandle, _Out_ uint32_t *isTaskDone)',
  WaitUntilTaskDone: 'int32_t DAQmxWaitUntilTaskDone(void *taskHandle, double timeToWait)',
  CreateAIVoltageChan: 'int32_t DAQmxCreateAIVoltageChan(void *taskHandle, const char *physicalChannel, const char *nameToAssignToChannel, int32_t terminalConfig, double minVal, double maxVal, int32_t units, const char *customScaleName)',
  CreateAICurrentChan: 'int32_t DAQmxCreateAICurrentChan(void *taskHandle, const char *physicalChannel, const char *nameToAssignToChannel, int32_t terminalConfig, double minVal, double maxVal, int32_t units, int32_t shuntResistorLoc, double extShuntResistorVal, const char *customScaleName)',
  CreateAOVoltageChan: 'int32_t DAQmxCreateAOVoltageChan(void *taskHandle, const char *physicalChannel, const char *nameToAssignToChannel, double minVal, double maxVal, int32_t units, const char *customScaleName)',
  CreateDIChan: 'int32_t DAQmxCreateDIChan(void *taskHandle, const char *lines, const char *nameToAssignToLines, int32_t lineGrouping)',
  CreateDOChan: 'int32_t DAQmxCreateDOChan(void *taskHandle, const char *lines, const char *nameToAssignToLines, int32_t lineGrouping)',
  CfgSampClkTiming: 'int32_t DAQmxCfgSampClkTiming(void *taskHandle, const char *source, double rate, int32_t activeEdge, int32_t sampleMode, uint64_t sampsPerChan)',
  CfgDigEdgeStartTrig: 'int32_t DAQmxCfgDigEdgeStartTrig(void *taskHandle, const char *triggerSource, int32_t triggerEdge)',
  ReadAnalogF64: 'int32_t DAQmxReadAnalogF64(void *taskHandle, int32_t numSampsPerChan, double timeout, uint32_t fillMode, _Out_ double *readArray, uint32_t arraySizeInSamps, _Out_ int32_t *sampsPerChanRead, uint32_t *reserved)',
  WriteAnalogF64: 'int32_t DAQmxWriteAnalogF64(void *taskHandle, int32_t numSampsPerChan, uint32_t autoStart, double timeout, uint32_t dataLayout, const double *writeArray, _Out_ int32_t *sampsPerChanWritten, uint32_t *reserved)',
  ReadDigitalLines: 'int32_t DAQmxReadDigitalLines(void *taskHandle, int32_t numSampsPerChan, double timeout, uint32_t fillMode, _Out_ uint8_t *readArray, uint32_t arraySizeInBytes, _Out_ int32_t *sampsPerChanRead, _Out_ int32_t *numBytesPerSamp, uint32_t *reserved)',
  WriteDigitalLines: 'int32_t DAQmxWriteDigitalLines(void *taskHandle, int32_t numSampsPerChan, uint32_t autoStart, double timeout, uint32_t dataLayout, const uint8_t *writeArray, _Out_ int32_t *sampsPerChanWritten, uint32_t *reserved)',
  RegisterEveryNSamplesEvent: 'int32_t DAQmxRegisterEveryNSamplesEvent(void *task, int32_t everyNsamplesEventType, uint32_t nSamples, uint32_t options, DAQmxEveryNSamplesEventCallbackPtr *callbackFunction, void *callbackData)',
  RegisterDoneEvent: 'int32_t DAQmxRegisterDoneEvent(void *task, uint32_t options, DAQmxDoneEventCallbackPtr *callbackFunction, void *callbackData)',
  GetErrorString: 'int32_t DAQmxGetErrorString(int32_t errorCode, _Out_ char *errorString, uint32_t bufferSize)',
  GetExtendedErrorInfo: 'int32_t DAQmxGetExtendedErrorInfo(_Out_ char *errorString, uint32_t bufferSize)',
} as const;

/** The kinds of channel a task holds. */
export type ChannelKind = 'ai' | 'ao' | 'di' | 'do';

/** One physical channel (or one group of lines). */
export interface PhysicalChannel {
  /** Device name: `Dev1`. */
  device: string;
  /** `ai` / `ao` for analog channels, `port` for digital lines. */
  type: 'ai' | 'ao' | 'port';
  /** Channel number (ai/ao) or port number. */
  index: number;
  /** For lines: first and last line (inclusive); undefined: the whole port. */
  lines?: [number, number];
  /** The channel's name as NI writes it: `Dev1/ai0`, `Dev1/port0/line0:3`. */
  name: string;
}

const ANALOG_RE = /^\/?([A-Za-z][\w-]*)\/(ai|ao)(\d+)(?::(\d+))?$/;
const DIGITAL_RE = /^\/?([A-Za-z][\w-]*)\/port(\d+)(?:\/line(\d+)(?::(\d+))?)?$/;

/**
 * Parse a channel list (`Dev1/ai0:3`, `Dev1/ai0, Dev1/ai2`, `Dev1/port0/line0:7`) into physical
 * channels, ranges expanded for analog channels (lines stay one group). InvalidInputError names
 * the entry that does not parse.
 */
export function parseChannels(list: string, what = 'channels'): PhysicalChannel[] {
  if (typeof list !== 'string' || list.trim() === '') throw new InvalidInputError({ what, value: list, reason: 'must name channels, e.g. Dev1/ai0, Dev1/ai0:3 or Dev1/port0/line0:7' });
  const out: PhysicalChannel[] = [];
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    const a = ANALOG_RE.exec(entry);
    if (a) {
      const [, device, type, first, last] = a as unknown as [string, string, 'ai' | 'ao', string, string | undefined];
      const from = Number(first), to = last === undefined ? from : Number(last);
      const step = from <= to ? 1 : -1;
      for (let i = from; ; i += step) {
        out.push({ device, type, index: i, name: `${device}/${type}${i}` });
        if (i === to) break;
      }
      continue;
    }
    const d = DIGITAL_RE.exec(entry);
    if (d) {
      const [, device, port, l0, l1] = d as unknown as [string, string, string, string | undefined, string | undefined];
      const ch: PhysicalChannel = { device, type: 'port', index: Number(port), name: entry.replace(/^\//, '') };
      if (l0 !== undefined) ch.lines = [Number(l0), Number(l1 ?? l0)];
      out.push(ch);
      continue;
    }
    throw new InvalidInputError({ what, value: entry, reason: 'is not a channel name: DevN/aiK, DevN/aiK:M, DevN/aoK, DevN/portP or DevN/portP/lineA:B' });
  }
  const types = new Set(out.map((c) => (c.type === 'port' ? 'port' : c.type)));
  if (types.size > 1) throw new InvalidInputError({ what, value: list, reason: 'mixes channel types: one task holds analog inputs, analog outputs or digital lines' });
  return out;
}

/** Number of lines in a digital channel (whole port: `portLines`). */
export function lineCount(ch: PhysicalChannel, portLines = 8): number {
  return ch.lines ? Math.abs(ch.lines[1] - ch.lines[0]) + 1 : portLines;
}

/** NI's terminal configuration constants by labrig's names. */
export const TERMINAL_CONFIGS = { default: DAQMX.Cfg_Default, rse: DAQMX.RSE, nrse: DAQMX.NRSE, diff: DAQMX.Diff, pseudodiff: DAQMX.PseudoDiff } as const;
/** A terminal configuration by name. */
export type TerminalConfig = keyof typeof TERMINAL_CONFIGS;

/**
 * NI-DAQmx's default input buffer per channel for a continuous task at `rate` S/s (a larger
 * `sampsPerChan` in DAQmxCfgSampClkTiming enlarges it): 1 kS up to 100 S/s, 10 kS up to 10 kS/s,
 * 100 kS up to 1 MS/s, 1 MS above.
 */
export function defaultBufferSize(rate: number): number {
  return rate <= 100 ? 1_000 : rate <= 10_000 ? 10_000 : rate <= 1_000_000 ? 100_000 : 1_000_000;
}
