/**
 * Validate documents against the event-model JSON Schemas in ../shared/schemas/event-model
 * (draft 2020-12) with ajv. Test-only: the package itself never reads these files.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';

const here = dirname(fileURLToPath(import.meta.url));
const candidates = [
  join(here, '..', '..', '..', 'shared', 'schemas', 'event-model'),
  join(here, '..', '..', 'shared', 'schemas', 'event-model'),
];
/** Folder of the event-model schemas. */
export const schemaDir = candidates.find((d) => existsSync(join(d, 'run_start.json'))) ?? candidates[0]!;

const fileOf: Record<string, string> = {
  start: 'run_start.json',
  stop: 'run_stop.json',
  descriptor: 'event_descriptor.json',
  event: 'event.json',
  event_page: 'event_page.json',
  resource: 'resource.json',
  datum: 'datum.json',
  datum_page: 'datum_page.json',
  stream_resource: 'stream_resource.json',
  stream_datum: 'stream_datum.json',
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(name: string): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    const file = fileOf[name];
    if (!file) throw new Error(`no event-model schema for document name '${name}'`);
    v = ajv.compile(JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as object);
    compiled.set(name, v);
  }
  return v;
}

/** Return the schema errors of one document as text, or undefined when it is valid. */
export function schemaErrors(name: string, doc: unknown): string | undefined {
  const v = validatorFor(name);
  // Round-trip through JSON: documents must be valid as serialised, not only as JS objects.
  const ok = v(JSON.parse(JSON.stringify(doc)));
  return ok ? undefined : ajv.errorsText(v.errors, { dataVar: name });
}

/** Throw if the document does not validate against its event-model schema. */
export function assertValidDocument(name: string, doc: unknown): void {
  const err = schemaErrors(name, doc);
  if (err) throw new Error(`invalid ${name} document: ${err}\n${JSON.stringify(doc).slice(0, 500)}`);
}

/** Validate a list of `[name, doc]` pairs; returns the failures as text (empty when all are valid). */
export function invalidDocuments(docs: Iterable<readonly [string, unknown]>): string[] {
  const out: string[] = [];
  for (const [name, doc] of docs) {
    const err = schemaErrors(name, doc);
    if (err) out.push(`${name}: ${err}`);
  }
  return out;
}
