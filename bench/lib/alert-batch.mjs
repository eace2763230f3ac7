// The decided batch of the case-store benches (case-writer.bench.mjs, case-store.bench.mjs): `size` decisions in
// shared record and result regions, one alert (REVIEW or DECLINE, one rule, three reasons) every `every` decisions,
// the rest APPROVE; `renumber(b)` gives batch b fresh integer transaction ids, so every batch opens new cases.
import { DecisionCode, NO_REASON, RECORD_SIZE, RecordViews, RESULT_SIZE, ResultStatus, ResultViews } from '@fraudstream/schema';

export function alertBatch(size, every) {
  const records = new RecordViews(new SharedArrayBuffer(size * RECORD_SIZE));
  const results = new ResultViews(new SharedArrayBuffer(size * RESULT_SIZE));
  for (let s = 0; s < size; s++) {
    records.writeTransaction(s, { id: String(s), cardId: `card-${s % 5000}`, terminalId: `t-${s % 977}`, amount: 10, currency: 'EUR', timestampMs: Date.UTC(2018, 3, 1) + s }, 0);
    const alert = s % every === 0;
    results.write(s, { score: alert ? 0.8 : 0.1, decision: alert ? (s % 2 === 0 ? DecisionCode.Review : DecisionCode.Decline) : DecisionCode.Approve, status: ResultStatus.Scored, rules: alert ? 0b1 : 0, reasons: alert ? [1, 4, 7] : [NO_REASON, NO_REASON, NO_REASON] });
  }
  const renumber = (b) => {
    for (let s = 0; s < size; s += every) records.setHeader(s, b * size + s, Date.UTC(2018, 3, 1) + s, 10, 0);
  };
  return { records, results, alertsPerBatch: Math.ceil(size / every), renumber };
}
