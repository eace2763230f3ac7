export * from './errors.js';
export * from './card-ref.js';
export * from './decision-id.js';
export * from './decision-log.js';
export * from './query.js';
export { HEADER_SIZE, MAX_REASONS, MAX_STRING } from './block-format.js';
