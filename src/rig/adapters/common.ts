/**
 * Small helpers shared by the family adapters: option-key checks, `sim:` parameter parsing,
 * re-labelling InvalidInputErrors, and polling until a device confirms a state.
 * @module
 */
import { InvalidInputError, toError } from '../../core/errors.js';
import { parseFaultSpec } from '../../sim/faults.js';

/** Throw InvalidInputError for the first key of `options` not in `allowed`. */
export function checkKeys(options: Readonly<Record<string, unknown>>, allowed: readonly string[], family: string): void {
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new InvalidInputError({ what: k, value: options[k], reason: `unknown ${family} option (known: ${allowed.join(', ')})` });
  }
}

/** Throw InvalidInputError for the first `sim:` parameter not in `allowed`. */
export function checkParamKeys(params: Readonly<Record<string, string>>, allowed: readonly string[], family: string): void {
  for (const [k, v] of Object.entries(params)) {
    if (!allowed.includes(k)) throw new InvalidInputError({ what: `sim:${family} parameter '${k}'`, value: v, reason: `unknown (known: ${allowed.join(', ')})` });
  }
}

/** The reason part of an InvalidInputError's message (between `what: ` and ` (got ...)`). */
function reasonOf(e: InvalidInputError): string {
  const head = `${e.what}: `;
  const body = e.message.startsWith(head) ? e.message.slice(head.length) : e.message;
  const cut = body.lastIndexOf(' (got ');
  return cut >= 0 ? body.slice(0, cut) : body;
}

/** Run `fn`; an InvalidInputError it throws is re-thrown with `prefix` before its `what`. */
export function labelled<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidInputError && prefix) throw new InvalidInputError({ what: `${prefix} ${e.what}`, value: e.value, reason: reasonOf(e) });
    throw e;
  }
}

/** The transport of a simulator: `tcp` (loopback, port 0) or `pty`; `fallback` when not given. */
export function linkParam(params: Readonly<Record<string, string>>, family: string, fallback: 'tcp' | 'pty'): 'tcp' | 'pty' {
  const v = params['link'];
  if (v === undefined) return fallback;
  if (v !== 'tcp' && v !== 'pty') throw new InvalidInputError({ what: `sim:${family} parameter 'link'`, value: v, reason: 'must be tcp or pty' });
  return v;
}

/** The fault spec of a simulator (checked), or undefined. */
export function faultsParam(params: Readonly<Record<string, string>>, family: string): string | undefined {
  const v = params['faults'];
  if (v === undefined) return undefined;
  labelled(`sim:${family} parameter 'faults':`, () => parseFaultSpec(v));
  return v;
}

/** An integer parameter in `[low, high]`, or undefined when absent. */
export function intParam(params: Readonly<Record<string, string>>, key: string, family: string, low: number, high: number): number | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < low || Number(v) > high) throw new InvalidInputError({ what: `sim:${family} parameter '${key}'`, value: v, reason: `must be an integer in ${low}..${high}` });
  return Number(v);
}

/** A positive number parameter, or undefined when absent. */
export function positiveParam(params: Readonly<Record<string, string>>, key: string, family: string): number | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !(n > 0)) throw new InvalidInputError({ what: `sim:${family} parameter '${key}'`, value: v, reason: 'must be a number > 0' });
  return n;
}

/** A boolean parameter (`true`/`false`/`1`/`0`, empty = true), or undefined when absent. */
export function boolParam(params: Readonly<Record<string, string>>, key: string, family: string): boolean | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (['', 'true', '1', 'on'].includes(v)) return true;
  if (['false', '0', 'off'].includes(v)) return false;
  throw new InvalidInputError({ what: `sim:${family} parameter '${key}'`, value: v, reason: 'must be true or false' });
}

/** A comma-separated list parameter, each item checked by `item`, or undefined when absent. */
export function listParam<T>(params: Readonly<Record<string, string>>, key: string, family: string, item: (s: string) => T | undefined, what: string): T[] | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  const out: T[] = [];
  for (const raw of v.split(',')) {
    const x = item(raw.trim());
    if (x === undefined) throw new InvalidInputError({ what: `sim:${family} parameter '${key}'`, value: v, reason: `must list ${what} separated by commas` });
    if (out.includes(x)) throw new InvalidInputError({ what: `sim:${family} parameter '${key}'`, value: v, reason: `lists ${String(x)} twice` });
    out.push(x);
  }
  return out;
}

/**
 * Call `check` until it returns a description (not undefined), pausing `everyMs` between tries;
 * reject with the abort reason when `signal` aborts.
 */
export async function pollUntil(check: () => Promise<string | undefined>, signal: AbortSignal, everyMs = 5): Promise<string> {
  for (;;) {
    if (signal.aborted) throw toError(signal.reason);
    const done = await check();
    if (done !== undefined) return done;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(t);
        reject(toError(signal.reason));
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, everyMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
