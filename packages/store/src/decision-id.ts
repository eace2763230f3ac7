import { hash } from 'node:crypto';

/**
 * The fixed prefix (domain separation) of decision ids. Ids are a function of the transaction id alone, the same in every deployment and
 * across secret rotations and model versions, so a redelivered or replayed transaction gets the same id and
 * downstream systems can deduplicate on it. (Transaction ids are not secret; card ids, which are, never enter it.)
 */
const DECISION_ID_PREFIX = 'fraudstream decision-id v1\0';

/** The deterministic decision id of a transaction: the first 128 bits of SHA-256 over prefix + id, 32 hex digits. */
export function decisionIdOf(transactionId: string): string {
  return hash('sha256', DECISION_ID_PREFIX + transactionId, 'hex').slice(0, 32);
}
