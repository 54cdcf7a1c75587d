/**
 * USBTMC and USB488 class-specific control requests: pure builders of the SETUP fields and
 * parsers of the replies. No I/O.
 *
 * References:
 * - USBTMC 1.0 §4.2.1, Table 15: bRequest values; Table 16: USBTMC_status values.
 * - §4.2.1.2 INITIATE_ABORT_BULK_OUT and §4.2.1.3 CHECK_ABORT_BULK_OUT_STATUS,
 *   §4.2.1.4 INITIATE_ABORT_BULK_IN and §4.2.1.5 CHECK_ABORT_BULK_IN_STATUS: addressed to the
 *   endpoint (bmRequestType 0xA2, wIndex = endpoint address); the INITIATE requests carry the
 *   bTag of the transfer to abort in wValue and answer [status, bTag]; the CHECK requests answer
 *   8 bytes [status, bmAbortBulkIn, 0, 0, NBYTES (u32 LE)].
 * - §4.2.1.6 INITIATE_CLEAR (answers [status]) and §4.2.1.7 CHECK_CLEAR_STATUS (answers
 *   [status, bmClear]), addressed to the interface (0xA1, wIndex = interface number).
 * - §4.2.1.8 GET_CAPABILITIES: 0x18 bytes; the USB488 subclass fills bytes 12–15 (bcdUSB488,
 *   interface and device capabilities).
 * - §4.2.1.9 INDICATOR_PULSE (optional).
 * - USB488 §4.3.1 READ_STATUS_BYTE: wValue = bTag 2..127 (Table 11), answers [status, bTag,
 *   STB]; with an Interrupt-IN endpoint the STB byte is 0 and the status byte comes on the
 *   Interrupt-IN endpoint as [0x80 | bTag, STB] (§4.3.1.2, §3.4.2); bNotify1 0x81 is a service
 *   request (SRQ). §4.3.2–4.3.4: REN_CONTROL, GO_TO_LOCAL, LOCAL_LOCKOUT.
 * @module
 */
import { DeviceError, InvalidInputError, type VendorCodeTable } from '../../core/errors.js';
import { hexPreview } from './usbtmc.js';

/** The SETUP fields of one control transfer; `wLength` is the data stage length in bytes. */
export interface ControlSetup {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** bRequest values (USBTMC Table 15, USB488 Table 9). */
export const Request = {
  INITIATE_ABORT_BULK_OUT: 1,
  CHECK_ABORT_BULK_OUT_STATUS: 2,
  INITIATE_ABORT_BULK_IN: 3,
  CHECK_ABORT_BULK_IN_STATUS: 4,
  INITIATE_CLEAR: 5,
  CHECK_CLEAR_STATUS: 6,
  GET_CAPABILITIES: 7,
  INDICATOR_PULSE: 64,
  READ_STATUS_BYTE: 128,
  REN_CONTROL: 160,
  GO_TO_LOCAL: 161,
  LOCAL_LOCKOUT: 162,
} as const;

/** USBTMC_status values (USBTMC Table 16, USB488 Table 10). */
export const Status = {
  SUCCESS: 0x01,
  PENDING: 0x02,
  /** USB488: the Interrupt-IN endpoint is busy; retry READ_STATUS_BYTE later. */
  INTERRUPT_IN_BUSY: 0x20,
  FAILED: 0x80,
  TRANSFER_NOT_IN_PROGRESS: 0x81,
  SPLIT_NOT_IN_PROGRESS: 0x82,
  SPLIT_IN_PROGRESS: 0x83,
} as const;

/** Texts of the USBTMC_status codes, for DeviceError.fromCode. */
export const STATUS_TEXTS: VendorCodeTable = {
  [Status.SUCCESS]: { text: 'success', kind: 'SUCCESS' },
  [Status.PENDING]: { text: 'pending: the request is still being processed', kind: 'PENDING' },
  [Status.INTERRUPT_IN_BUSY]: { text: 'the Interrupt-IN endpoint is busy', kind: 'INTERRUPT_IN_BUSY' },
  [Status.FAILED]: { text: 'failed', kind: 'FAILED' },
  [Status.TRANSFER_NOT_IN_PROGRESS]: { text: 'no transfer with that bTag is in progress', kind: 'TRANSFER_NOT_IN_PROGRESS' },
  [Status.SPLIT_NOT_IN_PROGRESS]: { text: 'no split transaction is in progress', kind: 'SPLIT_NOT_IN_PROGRESS' },
  [Status.SPLIT_IN_PROGRESS]: { text: 'a split transaction is in progress', kind: 'SPLIT_IN_PROGRESS' },
};

/** bmRequestType: device-to-host, class, recipient interface. */
const TO_INTERFACE = 0xa1;
/** bmRequestType: device-to-host, class, recipient endpoint. */
const TO_ENDPOINT = 0xa2;

function u8(what: string, v: number, low = 0, high = 255): void {
  if (!Number.isInteger(v) || v < low || v > high) throw new InvalidInputError({ what, value: v, reason: `must be an integer in ${low}..${high}` });
}

/** Build INITIATE_ABORT_BULK_OUT for the transfer `tag` on Bulk-OUT endpoint `endpoint` (§4.2.1.2). */
export function initiateAbortBulkOut(tag: number, endpoint: number): ControlSetup {
  u8('bTag', tag, 1);
  u8('endpoint', endpoint);
  return { bmRequestType: TO_ENDPOINT, bRequest: Request.INITIATE_ABORT_BULK_OUT, wValue: tag, wIndex: endpoint, wLength: 2 };
}

/** Build CHECK_ABORT_BULK_OUT_STATUS (§4.2.1.3). */
export function checkAbortBulkOutStatus(endpoint: number): ControlSetup {
  u8('endpoint', endpoint);
  return { bmRequestType: TO_ENDPOINT, bRequest: Request.CHECK_ABORT_BULK_OUT_STATUS, wValue: 0, wIndex: endpoint, wLength: 8 };
}

/** Build INITIATE_ABORT_BULK_IN for the transfer `tag` on Bulk-IN endpoint `endpoint` (§4.2.1.4). */
export function initiateAbortBulkIn(tag: number, endpoint: number): ControlSetup {
  u8('bTag', tag, 1);
  u8('endpoint', endpoint);
  return { bmRequestType: TO_ENDPOINT, bRequest: Request.INITIATE_ABORT_BULK_IN, wValue: tag, wIndex: endpoint, wLength: 2 };
}

/** Build CHECK_ABORT_BULK_IN_STATUS (§4.2.1.5). */
export function checkAbortBulkInStatus(endpoint: number): ControlSetup {
  u8('endpoint', endpoint);
  return { bmRequestType: TO_ENDPOINT, bRequest: Request.CHECK_ABORT_BULK_IN_STATUS, wValue: 0, wIndex: endpoint, wLength: 8 };
}

/** Build INITIATE_CLEAR for interface `iface` (§4.2.1.6). */
export function initiateClear(iface: number): ControlSetup {
  u8('interface', iface);
  return { bmRequestType: TO_INTERFACE, bRequest: Request.INITIATE_CLEAR, wValue: 0, wIndex: iface, wLength: 1 };
}

/** Build CHECK_CLEAR_STATUS (§4.2.1.7). */
export function checkClearStatus(iface: number): ControlSetup {
  u8('interface', iface);
  return { bmRequestType: TO_INTERFACE, bRequest: Request.CHECK_CLEAR_STATUS, wValue: 0, wIndex: iface, wLength: 2 };
}

/** Build GET_CAPABILITIES (§4.2.1.8). */
export function getCapabilities(iface: number): ControlSetup {
  u8('interface', iface);
  return { bmRequestType: TO_INTERFACE, bRequest: Request.GET_CAPABILITIES, wValue: 0, wIndex: iface, wLength: 0x18 };
}

/** Build INDICATOR_PULSE (§4.2.1.9, optional). */
export function indicatorPulse(iface: number): ControlSetup {
  u8('interface', iface);
  return { bmRequestType: TO_INTERFACE, bRequest: Request.INDICATOR_PULSE, wValue: 0, wIndex: iface, wLength: 1 };
}

/** Build USB488 READ_STATUS_BYTE with `tag` in 2..127 (USB488 §4.3.1, Table 11). */
export function readStatusByte(tag: number, iface: number): ControlSetup {
  u8('READ_STATUS_BYTE bTag', tag, 2, 127);
  u8('interface', iface);
  return { bmRequestType: TO_INTERFACE, bRequest: Request.READ_STATUS_BYTE, wValue: tag, wIndex: iface, wLength: 3 };
}

/** Build USB488 REN_CONTROL (assert or release remote enable), GO_TO_LOCAL or LOCAL_LOCKOUT. */
export function remoteLocal(kind: 'ren-on' | 'ren-off' | 'go-to-local' | 'local-lockout', iface: number): ControlSetup {
  u8('interface', iface);
  const bRequest = kind === 'go-to-local' ? Request.GO_TO_LOCAL : kind === 'local-lockout' ? Request.LOCAL_LOCKOUT : Request.REN_CONTROL;
  return { bmRequestType: TO_INTERFACE, bRequest, wValue: kind === 'ren-on' ? 1 : 0, wIndex: iface, wLength: 1 };
}

function need(what: string, reply: Uint8Array, n: number): void {
  if (reply.length < n) throw new InvalidInputError({ what: `USBTMC ${what} reply`, value: hexPreview(reply), reason: `needs ${n} bytes, got ${reply.length}` });
}

/** Reply of an INITIATE_ABORT_* request. */
export interface InitiateAbortReply {
  status: number;
  /** bTag of the transfer the device is working on. */
  tag: number;
}

/** Parse the [status, bTag] reply of INITIATE_ABORT_BULK_OUT/IN. */
export function parseInitiateAbort(reply: Uint8Array): InitiateAbortReply {
  need('INITIATE_ABORT', reply, 2);
  return { status: reply[0]!, tag: reply[1]! };
}

/** Reply of a CHECK_ABORT_BULK_*_STATUS request. */
export interface CheckAbortReply {
  status: number;
  /** Bulk-IN only: the device still has bytes queued for the host to read (bmAbortBulkIn D0). */
  fifoNotEmpty: boolean;
  /** Bytes the device received (OUT) or sent (IN) in the aborted transfer. */
  bytes: number;
}

/** Parse the 8-byte reply of CHECK_ABORT_BULK_OUT/IN_STATUS. */
export function parseCheckAbort(reply: Uint8Array): CheckAbortReply {
  need('CHECK_ABORT_STATUS', reply, 8);
  const bytes = new DataView(reply.buffer, reply.byteOffset, reply.byteLength).getUint32(4, true);
  return { status: reply[0]!, fifoNotEmpty: (reply[1]! & 0x01) !== 0, bytes };
}

/** Parse the 1-byte reply of INITIATE_CLEAR, INDICATOR_PULSE and the USB488 remote/local requests. */
export function parseStatusOnly(reply: Uint8Array): number {
  need('status', reply, 1);
  return reply[0]!;
}

/** Reply of CHECK_CLEAR_STATUS. */
export interface CheckClearReply {
  status: number;
  /** The device still has Bulk-IN bytes the host must read before the clear completes (bmClear D0). */
  fifoNotEmpty: boolean;
}

/** Parse the 2-byte reply of CHECK_CLEAR_STATUS. */
export function parseCheckClear(reply: Uint8Array): CheckClearReply {
  need('CHECK_CLEAR_STATUS', reply, 2);
  return { status: reply[0]!, fifoNotEmpty: (reply[1]! & 0x01) !== 0 };
}

/** What a USBTMC interface says it can do (GET_CAPABILITIES). */
export interface Capabilities {
  /** USBTMC release in BCD, e.g. 0x0100. */
  bcdUSBTMC: number;
  /** Accepts REQUEST_DEV_DEP_MSG_IN with TermCharEnabled. */
  termChar: boolean;
  /** Interface only listens (never talks). */
  listenOnly: boolean;
  /** Interface only talks (never listens). */
  talkOnly: boolean;
  /** Accepts INDICATOR_PULSE. */
  indicatorPulse: boolean;
  /** USB488 capabilities, when the reply carries a USB488 release number. */
  usb488?: {
    bcdUSB488: number;
    /** A 488.2 interface. */
    is488_2: boolean;
    /** Accepts REN_CONTROL, GO_TO_LOCAL and LOCAL_LOCKOUT. */
    remoteLocal: boolean;
    /** Accepts the TRIGGER message. */
    trigger: boolean;
    /** Understands all mandatory SCPI commands. */
    scpi: boolean;
    /** SR1: can request service (has an Interrupt-IN endpoint). */
    sr1: boolean;
    /** RL1: full remote/local. */
    rl1: boolean;
    /** DT1: device trigger. */
    dt1: boolean;
  };
}

/** Parse the GET_CAPABILITIES reply; throws DeviceError when the status is not SUCCESS. */
export function parseCapabilities(reply: Uint8Array, device = 'usbtmc'): Capabilities {
  need('GET_CAPABILITIES', reply, 6);
  expectSuccess(device, 'GET_CAPABILITIES', reply[0]!);
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const intf = reply[4]!;
  const dev = reply[5]!;
  const caps: Capabilities = {
    bcdUSBTMC: view.getUint16(2, true),
    listenOnly: (intf & 0x01) !== 0,
    talkOnly: (intf & 0x02) !== 0,
    indicatorPulse: (intf & 0x04) !== 0,
    termChar: (dev & 0x01) !== 0,
  };
  if (reply.length >= 16 && view.getUint16(12, true) !== 0) {
    const i488 = reply[14]!;
    const d488 = reply[15]!;
    caps.usb488 = {
      bcdUSB488: view.getUint16(12, true),
      trigger: (i488 & 0x01) !== 0,
      remoteLocal: (i488 & 0x02) !== 0,
      is488_2: (i488 & 0x04) !== 0,
      dt1: (d488 & 0x01) !== 0,
      rl1: (d488 & 0x02) !== 0,
      sr1: (d488 & 0x04) !== 0,
      scpi: (d488 & 0x08) !== 0,
    };
  }
  return caps;
}

/** Reply of READ_STATUS_BYTE. */
export interface ReadStatusByteReply {
  status: number;
  tag: number;
  /** The status byte; 0 (reserved) when the device has an Interrupt-IN endpoint. */
  statusByte: number;
}

/** Parse the 3-byte reply of READ_STATUS_BYTE. */
export function parseReadStatusByte(reply: Uint8Array): ReadStatusByteReply {
  need('READ_STATUS_BYTE', reply, 3);
  return { status: reply[0]!, tag: reply[1]!, statusByte: reply[2]! };
}

/** A USB488 Interrupt-IN notification. */
export type InterruptNotification =
  | { kind: 'status-byte'; tag: number; statusByte: number }
  | { kind: 'srq'; statusByte: number }
  | { kind: 'other'; bytes: Uint8Array };

/** Parse an Interrupt-IN packet (USB488 §3.4.2): [0x80|bTag, STB] answers READ_STATUS_BYTE, 0x81 is an SRQ. */
export function parseInterrupt(packet: Uint8Array): InterruptNotification {
  if (packet.length < 2) return { kind: 'other', bytes: packet };
  const b1 = packet[0]!;
  if (b1 === 0x81) return { kind: 'srq', statusByte: packet[1]! };
  if ((b1 & 0x80) !== 0) return { kind: 'status-byte', tag: b1 & 0x7f, statusByte: packet[1]! };
  return { kind: 'other', bytes: packet };
}

/** Throw the DeviceError for a USBTMC_status other than SUCCESS (`request` names the request). */
export function expectSuccess(device: string, request: string, status: number): void {
  if (status === Status.SUCCESS) return;
  const err = DeviceError.fromCode({ device, code: status, table: STATUS_TEXTS, fallback: `unknown USBTMC_status 0x${status.toString(16)}` });
  throw new DeviceError({ device, vendorMessage: `${request}: ${err.vendorMessage}`, vendorCode: status, kind: err.kind });
}
