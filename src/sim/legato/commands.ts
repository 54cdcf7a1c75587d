/**
 * The simulated pumps' command interpreter: one received line in, the exact reply bytes out.
 *
 * - `[NN]command[ args]` goes to pump NN (no address: pump 0); `NN@command` is HELAO's form.
 *   A line for an address with no pump gets no reply. Commands may be shortened to their first
 *   four letters (`irat`, `diam`), as the manual allows.
 * - A reply is `\n` + text + `\r` per line, then `\n` + prompt; pumps with a non-zero address
 *   (and every pump addressed with `@`) put `NN` and the state before each line and `NN` before
 *   the prompt. In poll mode an XON follows the prompt.
 * - Errors (their text from flowchem's list; when each one is given is this simulator's choice):
 *   `Unknown command` for an unknown word, `Argument error` for an argument that cannot be read,
 *   `Out of range` for a value outside the pump's range, `Command error` for a command not
 *   allowed now (withdrawing on an infuse-only model, a new syringe while running).
 * @module
 */
import type { SimChain, SimPump, SimState } from './model.js';

const PROMPTS: Record<SimState, string> = { idle: ':', infusing: '>', withdrawing: '<', stalled: '*', target: 'T*' };

const COMMANDS = [
  'address', 'civolume', 'citime', 'ctime', 'cttime', 'ctvolume', 'cvolume', 'cwtime', 'cwvolume', 'diameter', 'force',
  'irate', 'irun', 'itime', 'ivolume', 'nvram', 'poll', 'rrun', 'run', 'status', 'stop', 'stp', 'svolume', 'ttime',
  'tvolume', 'ver', 'version', 'wrate', 'wrun', 'wtime', 'wvolume',
] as const;
type Command = (typeof COMMANDS)[number];

/** Resolve a command word: exact, or a unique name it starts (at least four letters). */
export function resolveCommand(word: string): Command | undefined {
  const w = word.toLowerCase();
  if ((COMMANDS as readonly string[]).includes(w)) return w as Command;
  if (w.length < 4) return undefined;
  const hits = COMMANDS.filter((c) => c.startsWith(w));
  return hits.length === 1 ? hits[0] : undefined;
}

const VOL: Record<string, number> = { ml: 1000, m: 1000, ul: 1, u: 1, nl: 1e-3, n: 1e-3, pl: 1e-6, p: 1e-6 };
const TIME: Record<string, number> = { h: 60, hr: 60, hour: 60, m: 1, min: 1, s: 1 / 60, sec: 1 / 60 };

/** Format like the pump's display: up to 6 significant digits, no exponent. */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const digits = Math.max(0, 5 - Math.floor(Math.log10(Math.abs(v))));
  const s = v.toFixed(Math.min(digits, 20));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Format a volume in µl with the unit that keeps it ≥ 1 (`1.5 ml`, `20 nl`). */
export function fmtVolume(ul: number): string {
  const a = Math.abs(ul);
  const [u, f] = a >= 1000 ? ['ml', 1000] : a >= 1 || a === 0 ? ['ul', 1] : a >= 1e-3 ? ['nl', 1e-3] : ['pl', 1e-6];
  return `${fmt(ul / (f as number))} ${u}`;
}

class Reject {
  constructor(readonly text: 'Command error' | 'Unknown command' | 'Argument error' | 'Out of range') {}
}

function num(text: string | undefined): number {
  if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) throw new Reject('Argument error');
  return Number(text);
}

/** Read `10 ul/min` / `3.2 u/m` / `10ul/sec` into µl/min and the unit text. */
function readRate(args: string): { ulPerMin: number; units: string } {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))\s*([a-z]+)\/([a-z]+)$/i.exec(args.trim());
  if (!m) throw new Reject('Argument error');
  const v = VOL[m[2]!.toLowerCase()];
  const t = TIME[m[3]!.toLowerCase()];
  if (v === undefined || t === undefined) throw new Reject('Argument error');
  return { ulPerMin: (Number(m[1]) * v) / t, units: `${m[2]!.toLowerCase()}/${m[3]!.toLowerCase()}` };
}

/** Read `50 ul` / `0.05 ml` into µl. */
function readVolume(args: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))\s*([a-z]+)$/i.exec(args.trim());
  const f = m ? VOL[m[2]!.toLowerCase()] : undefined;
  if (!m || f === undefined) throw new Reject('Argument error');
  return Number(m[1]) * f;
}

/** Interpret lines for a chain of simulated pumps (see the module notes). */
export class LegatoInterpreter {
  /** The pumps this interpreter answers for. */
  readonly chain: SimChain;

  /** Answer for the pumps of `chain`. */
  constructor(chain: SimChain) {
    this.chain = chain;
  }

  /** Answer one line (without its CR); undefined when no pump has that address. */
  handle(line: string): string | undefined {
    const m = /^\s*(\d{1,2})?(@)?(.*)$/.exec(line)!;
    const address = m[1] === undefined ? 0 : Number(m[1]);
    const at = m[2] === '@';
    const pump = this.chain.pump(address);
    if (!pump) return undefined;
    const now = this.chain.now();
    const text = m[3]!.trim();
    let lines: string[];
    try {
      lines = text === '' ? [] : this.#execute(pump, text, now);
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      lines = [e.text];
    }
    return this.format(pump, lines, at, now);
  }

  /** Build the reply: text lines, then the prompt (and XON in poll mode). */
  format(pump: SimPump, lines: readonly string[], at: boolean, now: number): string {
    const prompt = PROMPTS[pump.state(now)];
    const nn = pump.address !== 0 || at ? String(pump.address).padStart(2, '0') : '';
    let out = '';
    for (const l of lines) out += `\n${nn ? nn + prompt : ''}${l}\r`;
    return `${out}\n${nn}${prompt}${pump.poll ? '\x11' : ''}`;
  }

  /** The prompt a pump prints by itself after an event (poll off only; '' in poll mode). */
  eventPrompt(pump: SimPump, now: number): string {
    if (pump.poll) return '';
    const nn = pump.address !== 0 ? String(pump.address).padStart(2, '0') : '';
    return `\n${nn}${PROMPTS[pump.state(now)]}`;
  }

  #execute(pump: SimPump, text: string, now: number): string[] {
    const sp = text.search(/\s/);
    const word = sp < 0 ? text : text.slice(0, sp);
    const args = sp < 0 ? '' : text.slice(sp + 1).trim();
    const cmd = resolveCommand(word);
    if (!cmd) throw new Reject('Unknown command');
    const query = args === '';
    switch (cmd) {
      case 'diameter':
        if (query) return [`${fmt(pump.diameterMm)} mm`];
        return this.#set(pump, now, () => {
          const d = num(args);
          if (d < pump.model.diameterMm.low || d > pump.model.diameterMm.high) throw new Reject('Out of range');
          pump.diameterMm = d;
        });
      case 'svolume':
        if (query) return [fmtVolume(pump.syringeUl)];
        return this.#set(pump, now, () => {
          const ul = readVolume(args);
          if (!(ul > 0)) throw new Reject('Out of range');
          pump.syringeUl = ul;
          pump.fillUl = Math.min(pump.fillUl, ul);
        });
      case 'irate':
      case 'wrate': {
        const d = cmd === 'irate' ? 'infuse' : 'withdraw';
        if (d === 'withdraw' && !pump.model.withdraw) throw new Reject('Command error');
        if (query) return [`${fmt(rateIn(pump.rate[d]))} ${pump.rate[d].units}`];
        const { low, high } = pump.limits();
        if (args === 'lim') return [`${fmt(low)} ul/min to ${fmt(high)} ul/min`];
        const r = args === 'max' ? { ulPerMin: high, units: 'ul/min' } : args === 'min' ? { ulPerMin: low, units: 'ul/min' } : readRate(args);
        if (r.ulPerMin < low * (1 - 1e-9) || r.ulPerMin > high * (1 + 1e-9)) throw new Reject('Out of range');
        pump.advance(now);
        pump.rate[d] = r;
        return [];
      }
      case 'tvolume':
        if (query) return [pump.targetUl === undefined ? 'Target volume not set' : fmtVolume(pump.targetUl)];
        pump.advance(now);
        pump.targetUl = readVolume(args);
        if (!(pump.targetUl > 0)) {
          pump.targetUl = undefined;
          throw new Reject('Out of range');
        }
        return [];
      case 'ttime':
        if (query) return [pump.targetS === undefined ? 'Target time not set' : `${fmt(pump.targetS)} s`];
        pump.advance(now);
        if (!(num(args) > 0)) throw new Reject('Out of range');
        pump.targetS = num(args);
        return [];
      case 'ctvolume':
        pump.advance(now);
        pump.targetUl = undefined;
        return [];
      case 'cttime':
        pump.advance(now);
        pump.targetS = undefined;
        return [];
      case 'irun':
      case 'wrun':
      case 'run':
      case 'rrun': {
        const cur = pump.direction;
        const d = cmd === 'irun' ? 'infuse' : cmd === 'wrun' ? 'withdraw' : cmd === 'run' ? cur : cur === 'infuse' ? 'withdraw' : 'infuse';
        if (!pump.run(d, now)) throw new Reject('Command error');
        return [];
      }
      case 'stop':
      case 'stp':
        pump.stop(now);
        return [];
      case 'status':
        return [pump.statusLine(now)];
      case 'ivolume':
      case 'wvolume':
        pump.advance(now);
        return [fmtVolume(pump.pumped[cmd === 'ivolume' ? 'infuse' : 'withdraw'].ul)];
      case 'itime':
      case 'wtime':
        pump.advance(now);
        return [`${fmt(pump.pumped[cmd === 'itime' ? 'infuse' : 'withdraw'].ms / 1000)} s`];
      case 'civolume':
      case 'cwvolume':
      case 'cvolume':
        pump.clearVolume(cmd === 'civolume' ? 'infuse' : cmd === 'cwvolume' ? 'withdraw' : 'both', now);
        return [];
      case 'citime':
      case 'cwtime':
      case 'ctime':
        pump.clearTime(cmd === 'citime' ? 'infuse' : cmd === 'cwtime' ? 'withdraw' : 'both', now);
        return [];
      case 'force': {
        if (query) return [`${pump.force}%`];
        const f = num(args);
        if (!Number.isInteger(f) || f < 1 || f > 100) throw new Reject('Out of range');
        pump.force = f;
        return [];
      }
      case 'poll':
      case 'nvram': {
        const key = cmd === 'poll' ? 'poll' : 'nvram';
        if (query) return [pump[key] ? 'On' : 'Off'];
        const a = args.toLowerCase();
        if (a !== 'on' && a !== 'off') throw new Reject('Argument error');
        pump[key] = a === 'on';
        return [];
      }
      case 'ver':
      case 'version':
        return [`KDS ${pump.model.name.replace(/^legato/, 'Legato ')} labrig-sim 1.0.0`];
      case 'address':
        if (!query) throw new Reject('Command error');
        return [String(pump.address)];
    }
  }

  /** Run a setting change that is refused while the pump runs. */
  #set(pump: SimPump, now: number, change: () => void): string[] {
    if (pump.state(now) === 'infusing' || pump.state(now) === 'withdrawing') throw new Reject('Command error');
    change();
    return [];
  }
}

/** A rate in the unit text it was set in. */
function rateIn(r: { ulPerMin: number; units: string }): number {
  const [v, t] = r.units.split('/') as [string, string];
  return (r.ulPerMin * TIME[t]!) / VOL[v]!;
}
