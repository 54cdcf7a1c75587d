/**
 * Open a USBTMC instrument by address, `openUsbtmc('usbtmc://0x0957:0x1796/MY123')`, and the
 * `usbtmc` scheme of the address factory (`openAddress('usbtmc://...')`).
 * @module
 */
import { registerScheme, type AddressBase } from '../uri.js';
import { parseUsbtmcAddress, type UsbtmcAddress } from './address.js';
import { libusbOpener, type LibusbOpenOptions } from './libusb-device.js';
import { UsbtmcTransport, type UsbtmcOptions } from './transport.js';

/** Options of {@link openUsbtmc}. */
export interface OpenUsbtmcOptions extends UsbtmcOptions, LibusbOpenOptions {
  /** Send a device clear right after opening (some firmware mishandles it; default false). */
  clearOnOpen?: boolean;
}

/** A `usbtmc://` address as the address factory returns it. */
export interface UsbtmcUriAddress extends AddressBase, UsbtmcAddress {
  scheme: 'usbtmc';
}

declare module '../uri.js' {
  interface SchemeRegistry {
    usbtmc: { address: UsbtmcUriAddress; opens: UsbtmcTransport };
  }
}

/** Create a transport for `uri` without opening it (`open()` finds and claims the device). */
export function createUsbtmc(uri: string, options: OpenUsbtmcOptions = {}): UsbtmcTransport {
  const address = parseUsbtmcAddress(uri);
  return new UsbtmcTransport(libusbOpener(address, options), { ...options, timeoutMs: options.timeoutMs ?? address.timeoutMs });
}

/**
 * Find the device, claim its USBTMC interface and return an open transport. Rejects with
 * InvalidInputError for a malformed address, NotFoundError when no device matches (the error
 * lists the devices libusb saw), DisconnectedError when libusb cannot load or the device cannot
 * be opened or claimed.
 */
export async function openUsbtmc(uri: string, options: OpenUsbtmcOptions = {}): Promise<UsbtmcTransport> {
  const transport = createUsbtmc(uri, options);
  try {
    await transport.open({ timeoutMs: options.timeoutMs });
    if (options.clearOnOpen) await transport.clear();
  } catch (err) {
    await transport.close();
    throw err;
  }
  return transport;
}

registerScheme('usbtmc', {
  parse: (p) => ({ ...parseUsbtmcAddress(p.uri), scheme: 'usbtmc', uri: p.uri, params: {} }),
  create: (a) => new UsbtmcTransport(libusbOpener(a), { timeoutMs: a.timeoutMs }),
});
