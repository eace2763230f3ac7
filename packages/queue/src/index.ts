export { SharedRing, RingProducer, RingConsumer, HEADER_BYTES, type RingOptions } from './shared-ring.js';
export { RingOptionsError } from './errors.js';
