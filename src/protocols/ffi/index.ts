/**
 * labrig FFI: load vendor C libraries with koffi (per-OS names, search paths, environment
 * override), bind typed functions, map vendor status codes to typed errors, register callbacks.
 * @module
 */
export { loadLibrary, libraryCandidates, loadKoffi, LIB_PATH_ENV, type LoadLibraryOptions, type LibraryCandidate } from './loader.js';
export { NativeLibrary, type RegisteredCallback, type CallbackOptions } from './library.js';
export { checkStatus, statusText, bufferedErrorText, type StatusPolicy, type FfiWarning } from './status.js';
export { NotFoundError, isNotFound } from '../discovery/not-found.js';
