/**
 * One simulated day of transactions as structure-of-arrays (no object per transaction), sorted by time of day.
 * Transaction `i` of the batch has TRANSACTION_ID `firstId + i`, event time `dayStartMs + timeSec[i] * 1000`,
 * TX_TIME_SECONDS `day * 86400 + timeSec[i]` and TX_TIME_DAYS `day`. Arrays may be longer than `count`.
 */
export class DayBatch {
  /** Day index since the start date (TX_TIME_DAYS); -1 before the first day. */
  day = -1;
  /** Epoch ms of this day's midnight (UTC). */
  dayStartMs = 0;
  /** TRANSACTION_ID of the first transaction of the day. */
  firstId = 0;
  /** Number of transactions in the day. */
  count = 0;
  /** Seconds since the day's midnight, 1..86399, ascending. */
  timeSec: Int32Array;
  /** Customer (card) index. */
  customer: Uint32Array;
  /** Terminal index. */
  terminal: Uint32Array;
  /** Amount in major units, 2 decimals. */
  amount: Float64Array;
  /** TX_FRAUD, 0 or 1. */
  fraud: Uint8Array;
  /** TX_FRAUD_SCENARIO, 0..6. */
  scenario: Uint8Array;
  /** Scenario of a transaction inserted by an extra fraud pattern (4..6), 0 for the customer's own transactions. */
  inserted: Uint8Array;
  /** Terminals that became compromised this day (scenario 2), `newTerminalCount` of them. */
  readonly newTerminals = new Uint32Array(2);
  newTerminalCount = 0;
  /** Customers that became compromised this day (scenario 3), `newCustomerCount` of them. */
  readonly newCustomers = new Uint32Array(3);
  newCustomerCount = 0;

  constructor(capacity = 1024) {
    this.timeSec = new Int32Array(capacity);
    this.customer = new Uint32Array(capacity);
    this.terminal = new Uint32Array(capacity);
    this.amount = new Float64Array(capacity);
    this.fraud = new Uint8Array(capacity);
    this.scenario = new Uint8Array(capacity);
    this.inserted = new Uint8Array(capacity);
  }

  /** Grows the arrays (doubling) so they hold at least `n` transactions; contents are not kept. */
  reserve(n: number): void {
    if (n <= this.timeSec.length) return;
    let cap = this.timeSec.length;
    while (cap < n) cap *= 2;
    this.timeSec = new Int32Array(cap);
    this.customer = new Uint32Array(cap);
    this.terminal = new Uint32Array(cap);
    this.amount = new Float64Array(cap);
    this.fraud = new Uint8Array(cap);
    this.scenario = new Uint8Array(cap);
    this.inserted = new Uint8Array(cap);
  }
}
