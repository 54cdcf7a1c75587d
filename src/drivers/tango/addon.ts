/**
 * The native cppTango addon backend's loader. The addon (`native/tango`, N-API, C++, linked
 * against libtango; built by node-gyp where libtango-dev is installed, never by `npm ci`) is not
 * built yet: {@link addonPath} says where it will be, {@link addonAvailable} whether it is there,
 * and {@link loadAddonBackend} loads it or throws an UnsupportedError saying why not. The addon's
 * module must export `createBackend(): TangoBackend` (the interface in `backend.ts`) and pass
 * `test/drivers/tango/backend-conformance.ts`.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UnsupportedError } from '../../core/errors.js';
import type { TangoBackend } from './backend.js';

/** Where the built addon lives (`native/tango/build/Release/labrig_tango.node` from the package root). */
export function addonPath(): string {
  return fileURLToPath(new URL('../../../native/tango/build/Release/labrig_tango.node', import.meta.url));
}

/** Tell whether the native addon has been built. */
export function addonAvailable(): boolean {
  return existsSync(addonPath());
}

/** Load the native addon and make a backend; UnsupportedError when it is not built or not usable. */
export function loadAddonBackend(): TangoBackend {
  const path = addonPath();
  if (!existsSync(path)) {
    throw new UnsupportedError({ device: 'tango', verb: `backend=addon (the native addon is not built: ${path} is missing; it needs libtango-dev and node-gyp)` });
  }
  const mod = createRequire(import.meta.url)(path) as { createBackend?: () => TangoBackend };
  if (typeof mod.createBackend !== 'function') throw new UnsupportedError({ device: 'tango', verb: `backend=addon (${path} exports no createBackend)` });
  return mod.createBackend();
}
