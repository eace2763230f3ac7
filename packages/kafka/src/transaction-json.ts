import type { Transaction } from '@fraudstream/schema';

/** One message to produce: key and value as strings (UTF-8 on the wire). */
export interface JsonMessage {
  key: string;
  value: string;
}

/**
 * The JSON form of a transaction on the `transactions` topic: the schema `validateTransaction` reads, with the
 * timestamp as ISO 8601 (about 200 bytes with every optional field).
 */
export function transactionJson(tx: Transaction): string {
  let s =
    `{"id":${JSON.stringify(tx.id)},"cardId":${JSON.stringify(tx.cardId)},"terminalId":${JSON.stringify(tx.terminalId)},` +
    `"amount":${tx.amount},"currency":"${tx.currency}","timestamp":"${new Date(tx.timestampMs).toISOString()}"`;
  if (tx.mcc !== undefined) s += `,"mcc":${tx.mcc}`;
  if (tx.channel !== undefined) s += `,"channel":"${tx.channel}"`;
  if (tx.cardPresent !== undefined) s += `,"cardPresent":${tx.cardPresent}`;
  if (tx.country !== undefined) s += `,"country":"${tx.country}"`;
  if (tx.lat !== undefined) s += `,"lat":${tx.lat}`;
  if (tx.lon !== undefined) s += `,"lon":${tx.lon}`;
  return `${s}}`;
}

/** The JSON form of a label on the labels topic: `{"id": ..., "fraud": true|false}`. */
export function labelJson(id: string, fraud: boolean): string {
  return `{"id":${JSON.stringify(id)},"fraud":${fraud}}`;
}
