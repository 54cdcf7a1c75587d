/**
 * Alicat transcripts written by hand from the reference digest (shared/reference/alicat.md: the
 * numat/HELAO command strings, the poll example `A +014.70 +025.00 +000.00 +000.00 +000.00     N2`,
 * register replies `A   122 = 37`, `?` for a rejected command) and the Alicat primer's tokens
 * (HP/HC/C/L/U/G). They do not import the simulator or the driver's encoder: the driver is tested
 * against them, and the simulator is replayed against them (its clock stepped by `STEP_MS` before
 * each exchange, so every flow has settled by the next one).
 */
import type { Exchange } from '../../helpers/transcript.js';

/** Clock step of the simulator before each exchange, in ms (≫ the 300 ms time constant). */
export const STEP_MS = 60_000;

const f = (rest: string): string => `A +014.70 +025.00 ${rest}\r`;

/** The poll example of the digest: a controller at rest, N2. */
export const POLL_AT_REST: Exchange = ['A\r', f('+000.00 +000.00 +000.00     N2')];

/** A legacy-dialect session (numat/HELAO commands), replayable on a fresh unit A. */
export const LEGACY_SESSION: Exchange[] = [
  POLL_AT_REST,
  ['AS12.50\r', f('+000.00 +000.00 +012.50     N2')],
  ['A\r', f('+012.50 +012.50 +012.50     N2')],
  ['A$$H\r', f('+012.50 +012.50 +012.50     N2 HLD')],
  ['A$$C\r', f('+012.50 +012.50 +012.50     N2')],
  ['A$$L\r', f('+012.50 +012.50 +012.50     N2 LCK')],
  ['A$$U\r', f('+012.50 +012.50 +012.50     N2')],
  ['AR122\r', 'A   122 = 37\r'],
  ['AW122=36\r', 'A   122 = 36\r'],
  ['AW122=37\r', 'A   122 = 37\r'],
  ['A$$W46=1\r', 'A   046 = 1\r'],
  ['A$$R46\r', 'A   046 = 1\r'],
  ['A\r', f('+012.50 +012.50 +012.50     Ar')],
  ['A$$PC\r', f('+012.50 +012.50 +012.50     Ar')],
  ['AVE\r', 'A   6v21.0-R22 Nov 30 2016,16:04:20\r'],
  ['AXYZ\r', '?\r'],
  ['AS0.00\r', f('+012.50 +012.50 +000.00     Ar')],
  ['A\r', f('+000.00 +000.00 +000.00     Ar')],
  ['A$$V\r', f('+000.00 +000.00 +000.00     Ar')],
  ['A$$H\r', f('+000.00 +000.00 +000.00     Ar HLD')],
];

/** The same operations with the primer's tokens (firmware 5v07+); 20 SLPM is 20 × 14.696 / 14.70 = 19.99 LPM. */
export const PRIMER_SESSION: Exchange[] = [
  ['AS20.00\r', f('+000.00 +000.00 +020.00     N2')],
  ['AHP\r', f('+019.99 +020.00 +020.00     N2 HLD')],
  ['AC\r', f('+019.99 +020.00 +020.00     N2')],
  ['AG11\r', f('+019.99 +020.00 +020.00     O2')],
  ['AL\r', f('+019.99 +020.00 +020.00     O2 LCK')],
  ['AU\r', f('+019.99 +020.00 +020.00     O2')],
  ['AHC\r', f('+019.99 +020.00 +020.00     O2 HLD')],
  ['A\r', f('+000.00 +000.00 +020.00     O2 HLD')],
  ['AC\r', f('+000.00 +000.00 +020.00     O2')],
];

/**
 * A unit with the totalizer option: `ID P T Qvol Qmass Setpoint Total Gas`. 60 SLPM for one
 * minute after a 300 ms first-order start totals 60 − 60·0.3/60 = 59.70 SL; volumetric flow at
 * 14.70 psia and 25 °C is 60 × 14.696 / 14.70 = 59.98 LPM.
 */
export const TOTALIZER_SESSION: Exchange[] = [
  ['AS60.00\r', f('+000.00 +000.00 +060.00 +0000000.00     N2')],
  ['A\r', f('+059.98 +060.00 +060.00 +0000059.70     N2')],
  ['AT\r', f('+059.98 +060.00 +060.00 +0000000.00     N2')],
];

/** Units A and B on one line: each answers only its own id; C is nobody (no reply). */
export const MULTIDROP_SESSION: Exchange[] = [
  POLL_AT_REST,
  ['B\r', 'B +014.70 +025.00 +000.00 +000.00 +000.00     N2\r'],
  ['BS5.00\r', 'B +014.70 +025.00 +000.00 +000.00 +005.00     N2\r'],
  ['C\r', null],
  ['A\r', f('+000.00 +000.00 +000.00     N2')],
  ['B\r', 'B +014.70 +025.00 +005.00 +005.00 +005.00     N2\r'],
];
