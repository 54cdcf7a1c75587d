/**
 * Open a USBTMC instrument by address: `openUsbtmc('usbtmc://0x0957:0x1796/MY123')`.
 * @module
 */
import { parseUsbtmcAddress } from './address.js';
import { openLibusbDevice, type LibusbOpenOptions } from './libusb-device.js';
import { UsbtmcTransport, type UsbtmcOptions } from './transport.js';

/** Options of {@link openUsbtmc}. */
export interface OpenUsbtmcOptions extends UsbtmcOptions, LibusbOpenOptions {
  /** Send a device clear right after opening (some firmware mishandles it; default false). */
  clearOnOpen?: boolean;
}

/**
 * Find the device, claim its USBTMC interface and return a transport. Rejects with
 * InvalidInputError for a malformed address, NotFoundError when no device matches (the error
 * lists the devices libusb saw), DisconnectedError when libusb cannot load or the device cannot
 * be opened or claimed.
 */
export async function openUsbtmc(uri: string, options: OpenUsbtmcOptions = {}): Promise<UsbtmcTransport> {
  const address = parseUsbtmcAddress(uri);
  const device = await openLibusbDevice(address, options);
  let transport: UsbtmcTransport;
  try {
    transport = new UsbtmcTransport(device, { ...options, timeoutMs: options.timeoutMs ?? address.timeoutMs });
  } catch (err) {
    await device.close();
    throw err;
  }
  if (options.clearOnOpen) {
    try {
      await transport.clear();
    } catch (err) {
      await transport.close();
      throw err;
    }
  }
  return transport;
}
