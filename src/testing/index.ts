/**
 * labrig/testing: helpers for test benches of drivers and plans.
 * @module
 */
export { leakGuard, withLeakGuard, LeakError, type LeakGuard } from './leak-guard.js';
export { assertReading, watchStatus, assertMonotonicProgress, AssertionFailure, type StatusRecord, type ExpectedReading } from './assertions.js';
