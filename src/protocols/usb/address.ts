/**
 * `usbtmc://VID:PID[/serial][?interface=N&timeoutMs=T]` addresses.
 *
 * VID and PID are hexadecimal (with or without `0x`, 1–4 digits). The serial number is
 * percent-decoded and compared exactly with the device's iSerialNumber string. `interface`
 * picks a bInterfaceNumber when a device has several USBTMC interfaces; `timeoutMs` is the
 * transport's default operation limit.
 * @module
 */
import { InvalidInputError } from '../../core/errors.js';

/** A parsed `usbtmc://` address. */
export interface UsbtmcAddress {
  vendorId: number;
  productId: number;
  serial?: string;
  interfaceNumber?: number;
  timeoutMs?: number;
}

const HEX = /^(?:0x)?([0-9a-f]{1,4})$/i;

/** Parse a `usbtmc://VID:PID[/serial]` address; throws InvalidInputError naming what is wrong. */
export function parseUsbtmcAddress(uri: string): UsbtmcAddress {
  if (typeof uri !== 'string') throw new InvalidInputError({ what: 'usbtmc address', value: uri, reason: 'must be a string' });
  const m = /^usbtmc:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(uri.trim());
  if (!m) throw new InvalidInputError({ what: 'usbtmc address', value: uri, reason: 'must look like usbtmc://VID:PID[/serial]' });
  const ids = m[1]!.split(':');
  if (ids.length !== 2) throw new InvalidInputError({ what: 'usbtmc address', value: uri, reason: 'needs VID:PID, e.g. usbtmc://0x0957:0x1796' });
  const vid = HEX.exec(ids[0]!);
  const pid = HEX.exec(ids[1]!);
  if (!vid) throw new InvalidInputError({ what: 'usbtmc address vendor id', value: ids[0], reason: 'must be 1-4 hex digits (optionally 0x-prefixed)' });
  if (!pid) throw new InvalidInputError({ what: 'usbtmc address product id', value: ids[1], reason: 'must be 1-4 hex digits (optionally 0x-prefixed)' });
  const out: UsbtmcAddress = { vendorId: parseInt(vid[1]!, 16), productId: parseInt(pid[1]!, 16) };
  if (m[2] !== undefined && m[2] !== '') {
    if (m[2].includes('/')) throw new InvalidInputError({ what: 'usbtmc address serial', value: m[2], reason: 'must not contain "/" (percent-encode it as %2F)' });
    let serial: string;
    try {
      serial = decodeURIComponent(m[2]);
    } catch {
      throw new InvalidInputError({ what: 'usbtmc address serial', value: m[2], reason: 'is not valid percent-encoding' });
    }
    out.serial = serial;
  }
  for (const [key, value] of new URLSearchParams(m[3] ?? '')) {
    const n = Number(value);
    if (key === 'interface') {
      if (!Number.isInteger(n) || n < 0 || n > 255) throw new InvalidInputError({ what: 'usbtmc address interface', value, reason: 'must be an integer 0..255' });
      out.interfaceNumber = n;
    } else if (key === 'timeoutMs') {
      if (!Number.isInteger(n) || n <= 0) throw new InvalidInputError({ what: 'usbtmc address timeoutMs', value, reason: 'must be a positive integer' });
      out.timeoutMs = n;
    } else {
      throw new InvalidInputError({ what: 'usbtmc address', value: uri, reason: `unknown parameter '${key}' (known: interface, timeoutMs)` });
    }
  }
  return out;
}

/** Format an address back to `usbtmc://0xVVVV:0xPPPP[/serial]`. */
export function formatUsbtmcAddress(a: UsbtmcAddress): string {
  const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
  return `usbtmc://${hex(a.vendorId)}:${hex(a.productId)}${a.serial !== undefined ? `/${encodeURIComponent(a.serial)}` : ''}`;
}
