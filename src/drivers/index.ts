/**
 * labrig/drivers: what a driver family is made of and how it is registered. Each family's own
 * exports are at `labrig/drivers/<family>`.
 * @module
 */
export {
  checkFamilyOptions, defineFamily, mockFamily, openFamily, pollUntil, resolveTarget, schemeOf, streamOf, streamSchemes,
  type AnyFamily, type FamilyDescriptor, type FamilyDevice, type FamilyScheme, type FamilyTarget, type MockContext, type OpenContext, type StreamSchemesOptions,
} from './family.js';
export { familyByName, familyForScheme, familyForUri, familySchemes, registerFamily, registeredFamilies, unregisterFamily } from './registry.js';
export { SERIAL_PARAMS, TCP_PARAMS, resolveAddress, serialTransport, tcpTransport, type Transport, type ResolvedAddress } from '../protocols/address.js';
export { checkParams, checkValue, formatSchema, type ParamSchema, type ParamSpec } from '../protocols/params.js';
