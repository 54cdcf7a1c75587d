/** The temperature bath driver's public surface. */
export { bathFamily } from './family.js';
export { TemperatureBath, type BathConfig, type BathSignals } from './device.js';
export { BathIO } from './io.js';
export { installBathMock } from './mock.js';
