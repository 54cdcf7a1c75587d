/**
 * The DMC commands the Galil simulator interprets, as a table of small handlers. A handler gets
 * the operand text (after the two-letter name) and returns the reply payload ('' for a bare `:`)
 * or a TC error code (number) for a `?`.
 * @module
 */
import { formatPosition, formatVariable, TC_CODES } from '../../drivers/galil/protocol.js';
import type { SimAxis } from './axis.js';
import type { GalilModel } from './model.js';

/** What a handler sees. */
export interface CommandContext {
  model: GalilModel;
  /** Time of the command, ms. */
  now: number;
  /** Last TC code of the calling connection. */
  lastError: number;
}

/** Reply payload, or a TC error code. */
export type CommandResult = string | number;

/** One command handler. */
export type Handler = (rest: string, ctx: CommandContext) => CommandResult;

const ALIAS: Record<string, string> = { X: 'A', Y: 'B', Z: 'C', W: 'D' };
const NUM_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;
const MAX_POS = 2_147_483_647;

/** Resolve an axis letter (ABCDEFGH, or XYZW for ABCD). */
function axisOf(model: GalilModel, letter: string): SimAxis | undefined {
  return model.axis(ALIAS[letter] ?? letter);
}

/** Axes named by `XXabc` (none: every axis) or a TC code. */
function axesOf(rest: string, model: GalilModel): SimAxis[] | number {
  const r = rest.trim();
  if (r === '') return model.axes;
  if (!/^[A-HXYZW]+$/.test(r)) return 4;
  const out: SimAxis[] = [];
  for (const c of r) {
    const a = axisOf(model, c);
    if (!a) return 4;
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** Operands of `XXa=v`, `XX v,v,,v`, `XX ?,?`, `XXa=?`: per axis a number or '?' (or a TC code). */
function assignments(rest: string, model: GalilModel): Array<{ axis: SimAxis; value: number | '?' }> | number {
  const r = rest.replace(/\s+/g, '');
  if (r === '') return [];
  const one = /^([A-HXYZW])=(.*)$/.exec(r);
  const fields = one ? [one[2]!] : r.split(',');
  const axes = one ? [axisOf(model, one[1]!)] : fields.map((_, i) => model.axes[i]);
  const out: Array<{ axis: SimAxis; value: number | '?' }> = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === '') continue;
    const axis = axes[i];
    if (!axis) return 4;
    if (f === '?') out.push({ axis, value: '?' });
    else if (NUM_RE.test(f)) out.push({ axis, value: Number(f) });
    else return 83;
  }
  return out;
}

/** Build a handler for an axis setting with range checks and `?` interrogation. */
function setting(get: (a: SimAxis, now: number) => number, set: (a: SimAxis, v: number, now: number) => number | void, low: number, high: number): Handler {
  return (rest, ctx) => {
    const list = assignments(rest, ctx.model);
    if (typeof list === 'number') return list;
    const values: string[] = [];
    for (const { axis, value } of list) {
      if (value === '?') values.push(formatPosition(get(axis, ctx.now)));
      else if (value < low || value > high) return 6;
    }
    for (const { axis, value } of list) {
      if (value === '?') continue;
      const code = set(axis, value, ctx.now);
      if (code) return code;
    }
    return values.join(',');
  };
}

/** Build a handler acting on the named axes. */
function onAxes(act: (a: SimAxis, now: number) => number | void): Handler {
  return (rest, ctx) => {
    const axes = axesOf(rest, ctx.model);
    if (typeof axes === 'number') return axes;
    for (const a of axes) {
      const code = act(a, ctx.now);
      if (code) return code;
    }
    return '';
  };
}

/** Build a handler telling one value per named axis. */
function tell(value: (a: SimAxis, ctx: CommandContext) => string): Handler {
  return (rest, ctx) => {
    const axes = axesOf(rest, ctx.model);
    if (typeof axes === 'number') return axes;
    return axes.map((a) => value(a, ctx)).join(',');
  };
}

const accel = (v: number): number => Math.max(1024, Math.round(v / 1024) * 1024);
const pos = (ctx: CommandContext, v: number): string => formatPosition(v, ctx.model.positionDecimals);

function prepare(mode: SimAxis['mode']): Handler {
  return onAxes((a, now) => {
    if (a.moving(now)) return 7;
    a.mode = mode;
  });
}

/** Evaluate an `_XXa` operand. */
function operand(name: string, a: SimAxis, now: number): number | undefined {
  switch (name) {
    case 'BG': return a.moving(now) ? 1 : 0;
    case 'MO': return a.motorOff ? 1 : 0;
    case 'SC': return a.stopCode(now);
    case 'TP': case 'TD': case 'RP': return Math.round(a.position(now));
    case 'TE': return a.error(now);
    case 'TV': return Math.round(a.velocity(now));
    case 'SP': return a.sp;
    case 'AC': return a.ac;
    case 'DC': return a.dc;
    case 'SD': return a.sd;
    case 'HV': return a.hv;
    case 'JG': return a.jg;
    case 'PA': return a.pa;
    case 'PR': return a.pr;
    case 'LF': return a.forwardActive(now) ? 0 : 1;
    case 'LR': return a.reverseActive(now) ? 0 : 1;
    case 'HM': return a.homeInput(now);
    default: return undefined;
  }
}

/** Split operands at commas outside quotes. */
function splitArgs(rest: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of rest) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** MG: print strings, operands (`_TPA`), I/O (`@IN[n]`, `@OUT[n]`, `@AN[n]`, `@AO[n]`), TIME and numbers. */
const mg: Handler = (rest, ctx) => {
  const { model, now } = ctx;
  let text = '';
  for (const raw of splitArgs(rest)) {
    const arg = raw.trim();
    let m: RegExpExecArray | null;
    // Strings print as given; control characters inside them are dropped, so a reply stays
    // printable text framed by CR LF and `:` (a stray CR or NUL would break the framing).
    if ((m = /^"([^"]*)"$/.exec(arg))) text += m[1]!.replace(/[^\x20-\x7e]/g, '');
    else if (/^"/.test(arg)) return 52;
    else if ((m = /^_([A-Z]{2})([A-HXYZW])$/.exec(arg))) {
      const a = axisOf(model, m[2]!);
      const v = a ? operand(m[1]!, a, now) : undefined;
      if (v === undefined) return 1;
      text += formatVariable(v);
    } else if ((m = /^@(IN|OUT|AN|AO)\[(\d+)\]$/.exec(arg))) {
      const n = Number(m[2]);
      const v = m[1] === 'IN' ? model.inputs.get(n) : m[1] === 'OUT' ? model.outputs.get(n) : m[1] === 'AN' ? model.analog(n) : model.analogOut.get(n);
      if (v === undefined) return 56;
      text += formatVariable(typeof v === 'boolean' ? (v ? 1 : 0) : v);
    } else if (arg === 'TIME') text += formatVariable(Math.floor(((now - model.startedAt) * 1024) / 1000));
    else if (NUM_RE.test(arg)) text += formatVariable(Number(arg));
    else if (/^@|\[/.test(arg)) return 55;
    else return 1;
  }
  return text;
};

function bit(rest: string, ctx: CommandContext, level: boolean): CommandResult {
  const r = rest.trim();
  if (!/^\d+$/.test(r)) return 4;
  const n = Number(r);
  if (!ctx.model.outputs.has(n)) return 6;
  ctx.model.outputs.set(n, level);
  return '';
}

function numbers(rest: string): number[] | undefined {
  const parts = rest.split(',').map((s) => s.trim());
  if (parts.some((p) => !NUM_RE.test(p))) return undefined;
  return parts.map(Number);
}

const accept: Handler = () => '';

/** Every command the simulator knows, by name. */
export const COMMANDS: Readonly<Record<string, Handler>> = {
  SH: onAxes((a) => void (a.motorOff = false)),
  MO: onAxes((a, now) => {
    a.abort(now, 7);
    a.motorOff = true;
  }),
  SP: setting((a) => a.sp, (a, v) => void (a.sp = Math.round(v)), 0, 22_000_000),
  AC: setting((a) => a.ac, (a, v) => void (a.ac = accel(v)), 1024, 1_073_740_800),
  DC: setting((a) => a.dc, (a, v) => void (a.dc = accel(v)), 1024, 1_073_740_800),
  SD: setting((a) => a.sd, (a, v) => void (a.sd = accel(v)), 1024, 1_073_740_800),
  HV: setting((a) => a.hv, (a, v) => void (a.hv = Math.round(v)), 0, 22_000_000),
  PA: setting((a) => a.pa, (a, v) => {
    a.pa = Math.round(v);
    a.mode = 'PA';
  }, -MAX_POS, MAX_POS),
  PR: setting((a) => a.pr, (a, v) => {
    a.pr = Math.round(v);
    a.mode = 'PR';
  }, -MAX_POS, MAX_POS),
  JG: setting((a) => a.jg, (a, v, now) => {
    a.jg = Math.round(v);
    if (a.jogging(now)) a.changeJog(now);
    else a.mode = 'JG';
  }, -22_000_000, 22_000_000),
  DP: setting((a, now) => Math.round(a.position(now)), (a, v, now) => (a.moving(now) ? 7 : a.define(Math.round(v), now)), -MAX_POS, MAX_POS),
  BG: (rest, ctx) => {
    const axes = axesOf(rest, ctx.model);
    if (typeof axes === 'number') return axes;
    for (const a of axes) {
      const code = a.checkBegin(ctx.now);
      if (code) return code;
    }
    for (const a of axes) a.begin(ctx.now);
    return '';
  },
  ST: onAxes((a, now) => a.stop(now)),
  AB: (rest, ctx) => {
    if (!/^\s*[01]?\s*$/.test(rest)) return 4;
    for (const a of ctx.model.axes) a.abort(ctx.now, 7);
    return '';
  },
  HM: prepare('HM'),
  FE: prepare('FE'),
  FI: prepare('FI'),
  TP: tell((a, ctx) => pos(ctx, a.position(ctx.now))),
  TD: tell((a, ctx) => pos(ctx, a.position(ctx.now))),
  TE: tell((a, ctx) => pos(ctx, a.error(ctx.now))),
  TV: tell((a, ctx) => formatPosition(a.velocity(ctx.now))),
  SC: tell((a, ctx) => formatPosition(a.stopCode(ctx.now))),
  TS: tell((a, { now }) => {
    const byte = (a.moving(now) ? 0x80 : 0) | (a.motorOff ? 0x20 : 0) | (a.forwardActive(now) ? 0 : 0x08) | (a.reverseActive(now) ? 0 : 0x04) | (a.homeInput(now) ? 0x02 : 0);
    return formatPosition(byte);
  }),
  PF: (rest, ctx) => {
    const m = /^\s*-?(\d{1,2})(?:\.(\d))?\s*$/.exec(rest);
    if (!m) return 4;
    ctx.model.positionDecimals = Math.min(4, Number(m[2] ?? 0));
    return '';
  },
  MG: mg,
  TC: (rest, ctx) => {
    const r = rest.trim();
    if (r === '' || r === '0') return String(ctx.lastError);
    if (r !== '1') return 4;
    if (ctx.lastError === 0) return '0';
    return `${ctx.lastError} ${tcText(ctx.lastError)}`;
  },
  SB: (rest, ctx) => bit(rest, ctx, true),
  CB: (rest, ctx) => bit(rest, ctx, false),
  OB: (rest, ctx) => {
    const v = numbers(rest);
    if (!v || v.length !== 2 || !ctx.model.outputs.has(v[0]!)) return v ? 6 : 4;
    ctx.model.outputs.set(v[0]!, v[1] !== 0);
    return '';
  },
  OP: (rest, ctx) => {
    const v = numbers(rest);
    if (!v || v.length > 2 || v.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return v ? 6 : 4;
    v.forEach((mask, bank) => {
      for (let b = 0; b < 8; b++) if (ctx.model.outputs.has(bank * 8 + b + 1)) ctx.model.outputs.set(bank * 8 + b + 1, ((mask >> b) & 1) === 1);
    });
    return '';
  },
  AO: (rest, ctx) => {
    const v = numbers(rest);
    if (!v || v.length !== 2) return 4;
    if (!ctx.model.analogOut.has(v[0]!) || Math.abs(v[1]!) > 10) return 6;
    ctx.model.analogOut.set(v[0]!, v[1]!);
    return '';
  },
  TI: (rest, ctx) => {
    const r = rest.trim() || '0';
    if (!/^\d$/.test(r)) return 4;
    let byte = 0;
    for (let b = 0; b < 8; b++) if (ctx.model.inputs.get(Number(r) * 8 + b + 1)) byte |= 1 << b;
    return formatPosition(byte);
  },
  RS: (_rest, ctx) => {
    ctx.model.reset();
    return '';
  },
  XQ: () => 10,
  HX: accept,
  MT: accept, CE: accept, TW: accept, CN: accept, LD: accept, KP: accept, KI: accept, KD: accept, OE: accept,
  ER: accept, IL: accept, TL: accept, FL: accept, BL: accept, VF: accept, LZ: accept, CW: accept, CF: accept, EO: accept,
};

/** The controller's text for a TC code. */
function tcText(code: number): string {
  const e = TC_CODES[code];
  return e === undefined ? 'Unknown error' : typeof e === 'string' ? e : e.text;
}
