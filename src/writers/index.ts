/**
 * Document consumers that do I/O (files).
 * @module
 */
export { JsonlWriter, jsonlWriter, readJsonl } from './jsonl.js';
export type { JsonlWriterOptions, ReadJsonlOptions } from './jsonl.js';
export { JSONL_FLUSH_DOCUMENTS, JSONL_FLUSH_INTERVAL_MS } from './jsonl.js';
export { FileMdStore } from './md-store.js';
