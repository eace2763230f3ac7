import type { CaseStore } from './case-types.js';

/** One analyst verdict as a training label: the transaction it names, fraud or not, who decided and when. */
export interface VerdictRecord {
  transactionId: string;
  decisionId: string;
  eventTimeMs: number;
  fraud: boolean;
  /** When the verdict was given, epoch ms. */
  decidedAt: number;
  analyst: string;
}

/**
 * Every analyst verdict kept in the case store (cases closed as confirmed_fraud or legitimate), page by page: the
 * training labels of the review queue, joined with the decision log by transaction id (what `train --from-log`
 * reads). The case store is where verdicts are durable; a verdict is final, so each transaction appears once.
 */
export async function* verdictLabels(store: Pick<CaseStore, 'list'>, pageSize = 500): AsyncGenerator<VerdictRecord> {
  for (const status of ['confirmed_fraud', 'legitimate'] as const) {
    let before: string | undefined;
    do {
      const page = await store.list({ status, limit: pageSize, order: 'oldest', before });
      for (const c of page.cases) {
        yield { transactionId: c.transactionId, decisionId: c.id, eventTimeMs: c.eventTimeMs, fraud: status === 'confirmed_fraud', decidedAt: c.updatedAt, analyst: c.updatedBy };
      }
      before = page.next ?? undefined;
    } while (before !== undefined);
  }
}
