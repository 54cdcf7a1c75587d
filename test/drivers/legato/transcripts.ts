/**
 * Transcripts of pump-chain exchanges written from the Legato 100/200 manuals' notation
 * (`<lf>[##:]text<cr>` lines, then `<lf>[##]<prompt>`; XON after the prompt with `poll on`), with
 * the values of a pump in a known state. They are data only, independent of the simulator's
 * code: `transcript.test.ts` plays them to the driver, `sim-raw.test.ts` to the simulator's raw
 * bytes. Each scenario starts from a fresh pump with the simulator's documented defaults
 * (4.6066 mm bore, 1 ml syringe, rates 10 ul/min, force 50 %, poll off, no target).
 */
import type { Exchange } from '../../helpers/transcript.js';

/** One scenario: where it runs and what goes over the wire. */
export interface Scenario {
  name: string;
  /** Addresses of the pumps on the line. */
  addresses: number[];
  /** Model of every pump. */
  model?: string;
  exchanges: Exchange[];
}

/** Pump 0, poll off: settings and queries (manual's notation; no address prefixes). */
export const SETTINGS: Scenario = {
  name: 'pump 0, poll off: settings and queries',
  addresses: [0],
  exchanges: [
    ['diameter 4.6066\r', '\n:'],
    ['diameter\r', '\n4.6066 mm\r\n:'],
    ['svolume 1 ml\r', '\n:'],
    ['svolume\r', '\n1 ml\r\n:'],
    ['irate 600 ul/min\r', '\n:'],
    ['irate\r', '\n600 ul/min\r\n:'],
    ['wrate 1.5 ml/min\r', '\n:'],
    ['wrate\r', '\n1.5 ml/min\r\n:'],
    ['force 30\r', '\n:'],
    ['force\r', '\n30%\r\n:'],
    ['tvolume\r', '\nTarget volume not set\r\n:'],
    ['tvolume 50 ul\r', '\n:'],
    ['tvolume\r', '\n50 ul\r\n:'],
    ['ctvolume\r', '\n:'],
    ['status\r', '\n10000000000 0 0 i...I.\r\n:'],
    ['ivolume\r', '\n0 ul\r\n:'],
    ['wvolume\r', '\n0 ul\r\n:'],
  ],
};

/** Pump 0, poll off: each error line the pump prints, then the prompt. */
export const ERRORS: Scenario = {
  name: 'pump 0, poll off: the four error replies',
  addresses: [0],
  model: 'legato100',
  exchanges: [
    ['bogus\r', '\nUnknown command\r\n:'],
    ['irate 10 ul\r', '\nArgument error\r\n:'],
    ['irate 5 ml/min\r', '\nOut of range\r\n:'],
    ['wrun\r', '\nCommand error\r\n:'],
    ['irun\r', '\n>'],
    ['diameter 10\r', '\nCommand error\r\n>'],
    ['stop\r', '\n:'],
  ],
};

/** Pumps 0 and 1 on one line, poll off: pump 1's lines carry `01` and its state. */
export const ADDRESSED: Scenario = {
  name: 'pump 1 on a chain, poll off: address prefixes on every line',
  addresses: [0, 1],
  exchanges: [
    ['1diameter\r', '\n01:4.6066 mm\r\n01:'],
    ['1irate 600 ul/min\r', '\n01:'],
    ['1bogus\r', '\n01:Unknown command\r\n01:'],
    ['1irun\r', '\n01>'],
    ['1irate\r', '\n01>600 ul/min\r\n01>'],
    ['diameter\r', '\n4.6066 mm\r\n:'],
    ['1stop\r', '\n01:'],
  ],
};

/** Pump 0, poll on: XON after every prompt. */
export const POLL: Scenario = {
  name: 'pump 0, poll on: XON after each prompt',
  addresses: [0],
  exchanges: [
    ['poll on\r', '\n:\x11'],
    ['diameter\r', '\n4.6066 mm\r\n:\x11'],
    ['bogus\r', '\nUnknown command\r\n:\x11'],
    ['status\r', '\n166666667 0 0 i...I.\r\n:\x11'],
    ['poll off\r', '\n:'],
  ],
};

/** HELAO's form: `00@command` with poll on; the pump prints `00` before lines and prompt. */
export const AT_FORM: Scenario = {
  name: "HELAO's 00@ form with poll on",
  addresses: [0],
  exchanges: [
    ['00@poll on\r', '\n00:\x11'],
    ['00@irate 600 ul/min\r', '\n00:\x11'],
    ['00@status\r', '\n00:10000000000 0 0 i...I.\r\n00:\x11'],
    ['00@bogus\r', '\n00:Unknown command\r\n00:\x11'],
  ],
};

/** Every scenario. */
export const SCENARIOS: readonly Scenario[] = [SETTINGS, ERRORS, ADDRESSED, POLL, AT_FORM];
