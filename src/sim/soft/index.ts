/**
 * Soft (in-process) simulators: a trapezoidal motor, a point detector, an area detector.
 * @module
 */
export * from './motor.js';
export * from './detector.js';
// area-detector.ts is written by another engineer.
export * from './area-detector.js';
