import { createHmac } from 'node:crypto';

/**
 * The fixed key of decision ids. Ids are a function of the transaction id alone, the same in every deployment and
 * across secret rotations and model versions, so a redelivered or replayed transaction gets the same id and
 * downstream systems can deduplicate on it. (Transaction ids are not secret; card ids, which are, never enter it.)
 */
const DECISION_ID_KEY = 'fraudstream decision-id v1';

/** The deterministic decision id of a transaction: the first 128 bits of HMAC-SHA256 over its id, 32 hex digits. */
export function decisionIdOf(transactionId: string): string {
  return createHmac('sha256', DECISION_ID_KEY).update(transactionId, 'utf8').digest('hex').slice(0, 32);
}
