/**
 * Event-model documents: types, composition, pages and a dispatcher.
 * @module
 */
export type * from './types.js';
export {
  newUid, composeRun, packEventPage, unpackEventPage, packDatumPage, unpackDatumPage,
} from './compose.js';
export type {
  ComposeRunBundle, ComposeDescriptorBundle, ComposeResourceBundle, ComposeStreamResourceBundle,
  ComposeDescriptorArgs, ComposeEventArgs, ComposeEventPageArgs,
} from './compose.js';
export { DocumentDispatcher } from './dispatcher.js';
export type { DocumentSubscriber, DocumentDispatcherOptions } from './dispatcher.js';
