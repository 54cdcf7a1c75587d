/**
 * Request channels: framers, the channel itself, multi-drop addressing.
 * @module
 */
export { createRequestChannel, StreamRequestChannel } from './channel.js';
export type { ChannelInspection, ChannelOptions } from './channel.js';
export type { ReconnectOptions } from './backoff.js';
export { createFramer, galilFramer, isFramer, LengthFramer, PromptFramer, TerminatorFramer, DEFAULT_MAX_FRAME_BYTES } from './framers.js';
export type { LengthOptions, PromptOptions, TerminatorOptions } from './framers.js';
export { prefixAddressing, ReplyFrame } from './reply.js';
export type { Addressing, PrefixAddressingOptions } from './reply.js';
