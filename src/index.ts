/**
 * labrig: a TypeScript SDK for laboratory and observatory hardware.
 *
 * The root export is the core (devices, Status, signals, documents, RunEngine). Plans, plan
 * stubs, simulators, transports, drivers and test helpers have their own subpaths:
 * `labrig/plans`, `labrig/plan-stubs`, `labrig/sim`, `labrig/protocols`, `labrig/drivers/<family>`,
 * `labrig/testing`.
 * @module
 */
export * from './core/index.js';
