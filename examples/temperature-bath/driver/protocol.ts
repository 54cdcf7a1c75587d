/**
 * The bath's wire format: CR-terminated ASCII. Commands `TEMP?`, `SP?`, `SP <degC>`, `START`,
 * `STOP`; replies a number, `OK`, or `ERR <code>`. Pure functions, no I/O.
 */
/** Encode `SP <degC>` with two decimals. */
export function encodeSetpoint(degC: number): string {
  return `SP ${degC.toFixed(2)}`;
}

/** Decode a numeric reply, or throw on `ERR n` and anything else. */
export function parseNumber(reply: string): number {
  const v = Number(reply.trim());
  if (reply.trim() === '' || !Number.isFinite(v)) throw new Error(`bath: not a number: ${JSON.stringify(reply)}`);
  return v;
}

/** Check an acknowledgement: `OK`, or throw on anything else. */
export function parseOk(reply: string): void {
  if (reply.trim() !== 'OK') throw new Error(`bath: refused: ${JSON.stringify(reply)}`);
}
