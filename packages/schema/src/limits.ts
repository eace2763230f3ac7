/** Bounds on every input; anything larger is rejected with an error naming the field. */
export const Limits = {
  /** Longest id, card id or terminal id, in UTF-16 code units. */
  maxIdLength: 64,
  /** Largest amount accepted, in major units. */
  maxAmount: 1e9,
  /** Earliest and latest event time accepted (1970-01-01 .. 2200-01-01). */
  minTimestampMs: 0,
  maxTimestampMs: 7258118400000,
  /** Longest CSV line, in characters. */
  maxCsvLineLength: 4096,
  /** Longest JSON document for one transaction, in bytes. */
  maxJsonBytes: 4096,
} as const;
