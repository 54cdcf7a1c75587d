/**
 * Tango Controls devices as labrig devices: `openTangoDevice('tango://host:port/d/f/m#dbase=no')`
 * builds a device from the server's description (attributes as signals, commands as callables);
 * {@link connectTangoDevice} with {@link tangoR}/{@link tangoRW}/{@link tangoCmd} builds a typed
 * device from a declaration. Two backends behind {@link TangoBackend}: the PyTango sidecar and
 * (when built) the native cppTango addon. The family descriptor `tangoFamily` (scheme `tango`) is
 * registered with `registerFamily`; importing this module registers nothing.
 * @module
 */
import { openFamily } from '../family.js';
import type { TangoDevice } from './device.js';
import { tangoFamily, type TangoFamilyOptions } from './family.js';

export {
  parseTangoAddress,
  type TangoAddress,
  type TangoArgType,
  type TangoArray,
  type TangoAttributeInfo,
  type TangoBackend,
  type TangoBackendFactory,
  type TangoCallOptions,
  type TangoCommandInfo,
  type TangoCommandValue,
  type TangoDataType,
  type TangoDeviceInfo,
  type TangoEvent,
  type TangoFormat,
  type TangoNumStringArray,
  type TangoQuality,
  type TangoReading,
  type TangoScalar,
  type TangoTypedArray,
  type TangoValue,
  type TangoWritable,
} from './backend.js';
export { TangoError, type TangoErrorLevel } from './errors.js';
export { TangoSidecarBackend, SIDECAR_PY, type SidecarOptions, type SidecarStartup } from './sidecar.js';
export { addonAvailable, addonPath, loadAddonBackend } from './addon.js';
export { TangoAttributeBackend, TANGO_STATES } from './signals.js';
export { TangoSubscriptionManager, NO_EVENT_REASONS, type SubscriptionManagerOptions, type TangoUpdateMode } from './subscriptions.js';
export {
  TangoDevice,
  checkDeclaration,
  connectTangoDevice,
  signalName,
  tangoCmd,
  tangoR,
  tangoRW,
  type ConnectTangoOptions,
  type DeclaredDevice,
  type TangoAttrDecl,
  type TangoCmdDecl,
  type TangoCommand,
  type TangoDeclaration,
  type TangoDeviceOptions,
} from './device.js';
export { installTangoDeviceMock, mockTangoDevice } from './mock.js';
export { tangoBackendFor, tangoFamily, tangoTransport, TANGO_ADDRESS_PARAMS, TANGO_DEVICE_PARAMS, type TangoFamilyOptions, type TangoUriAddress } from './family.js';

/** Connect a Tango device by URI (`?backend=sidecar|addon|auto`, `pollMs`, `read`, ...), named `name` (default `tango`). */
export function openTangoDevice(uri: string, options: TangoFamilyOptions & { name?: string } = {}): Promise<TangoDevice> {
  const { name, ...rest } = options;
  return openFamily(tangoFamily, uri, rest as Record<string, unknown>, name === undefined ? {} : { name });
}
