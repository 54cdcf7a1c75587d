/**
 * labrig discovery: mDNS / DNS-SD browse and publish with explicit time limits and "not found".
 * @module
 */
export { browse, publish, parseServiceType, type BrowseOptions, type DiscoveredService, type MdnsOptions, type PublishOptions, type PublishedService } from './mdns.js';
export { NotFoundError, isNotFound } from './not-found.js';
