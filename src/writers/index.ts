/**
 * Document consumers that do I/O (files).
 * @module
 */
export { JsonlWriter, jsonlWriter, readJsonl } from './jsonl.js';
export type { JsonlWriterOptions } from './jsonl.js';
export { FileMdStore } from './md-store.js';
