/** Thrown for invalid ring options (a RangeError, so callers can tell misuse from runtime failures). */
export class RingOptionsError extends RangeError {
  override name = 'RingOptionsError';
}
