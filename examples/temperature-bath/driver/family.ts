/** The bath family descriptor: schemes, parameters, open, mock, e-stop confirmation. */
import { defineFamily, serialTransport, streamOf, tcpTransport, type FamilyDescriptor } from 'labrig/drivers';
import { createRequestChannel } from 'labrig/protocols';
import { TemperatureBath, type BathConfig } from './device.js';
import { BathIO } from './io.js';

/** `bath+tcp://host:4001`, `bath+serial:///dev/ttyUSB0` (9600 baud). */
export const bathFamily: FamilyDescriptor<BathConfig, TemperatureBath> = defineFamily({
  name: 'bath',
  title: 'CR-terminated ASCII temperature bath (guide example)',
  schemes: [
    { scheme: 'bath+tcp', transport: tcpTransport({ defaultPort: 4001 }), example: 'bath+tcp://10.0.0.7:4001' },
    { scheme: 'bath+serial', transport: serialTransport({ defaultBaud: 9600 }), example: 'bath+serial:///dev/ttyUSB0' },
  ],
  params: {
    maxTemp: { type: 'number', min: -20, max: 200, units: 'degC', doc: 'highest setpoint' },
    tolerance: { type: 'number', min: 0, max: 10, units: 'degC', doc: 'settled within this' },
    holdMs: { type: 'integer', min: 0, max: 600_000, units: 'ms', doc: 'settled for this long' },
  },
  open: async (target, options, { name }) => {
    const channel = createRequestChannel(streamOf(target), { framing: { mode: 'terminator', terminators: ['\r'] }, suffix: '\r', timeoutMs: 1000 });
    const bath = new TemperatureBath(name, new BathIO(channel), options, () => channel.close());
    try {
      await bath.connect({ timeoutMs: 3000 });
    } catch (e) {
      await bath.close();
      throw e;
    }
    return bath;
  },
  createMock: (options, { name }) => new TemperatureBath(name, new BathIO(undefined), options),
  confirmStopped: async (bath) => `setpoint ${await bath.setpoint.getValue()} degC, heater stopped`,
});
