/** The default topic names (each configurable where it is used). */
export const DEFAULT_TOPICS = {
  /** JSON transactions, key = card id. */
  transactions: 'transactions',
  /** Late labels `{id, fraud}`, key = the card id of the labelled transaction (co-partitioned with `transactions`). */
  labels: 'fraud-labels',
  /** Every decision, key = card id. */
  decisions: 'fraud-decisions',
  /** REVIEW and DECLINE decisions, key = card id. */
  alerts: 'fraud-alerts',
  /** Rejected input with the reason and the field. */
  deadLetter: 'transactions-dlq',
} as const;

/** Default consumer group of `fraudstream start --source kafka`. */
export const DEFAULT_GROUP = 'fraudstream';
