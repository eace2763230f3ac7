import { createResource, createSignal, For, Show } from 'solid-js';
import { fetchCardHistory, fetchCase, MAX_ANALYST, MAX_NOTE, postVerdict, type LabelOutcome } from './review-api';

const ANALYST_KEY = 'fraudstream.analyst';
const time = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const show = (v: string | number | boolean | null | undefined): string => (v === null || v === undefined ? '–' : String(v));

/**
 * One case under review: the transaction (amount, time, terminal reference, channel and the other fields the case
 * keeps; the card only as its keyed reference), the score and reasons, the card's recent decisions from the decision
 * log, the audit trail, and the verdict buttons with an optional note. The analyst's name is kept in the browser's
 * local storage; there are no accounts (the API token is the authority).
 */
export function ReviewCase(props: { id: string; onDecided: (message: string) => void }) {
  const [data, { refetch }] = createResource(() => props.id, fetchCase);
  const [history] = createResource(() => data()?.case.cardRef, (ref) => fetchCardHistory(ref));
  const [analyst, setAnalyst] = createSignal(localStorage.getItem(ANALYST_KEY) ?? '');
  const [note, setNote] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | undefined>(undefined);

  const decide = async (status: 'confirmed_fraud' | 'legitimate'): Promise<void> => {
    const c = data()?.case;
    if (c === undefined) return;
    setBusy(true);
    try {
      localStorage.setItem(ANALYST_KEY, analyst().trim());
      const n = note().trim();
      const r = await postVerdict(c.id, { status, analyst: analyst().trim(), expectedVersion: c.version, ...(n === '' ? {} : { note: n }) });
      setError(undefined);
      setNote('');
      props.onDecided(`${c.transactionId}: ${status.replace('_', ' ')} · ${labelText(r.label)}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      void refetch();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="review-case" data-testid="review-case">
      <Show when={data.error}>{(e) => <div class="message error">{String(e())}</div>}</Show>
      <Show when={data()}>
        {(d) => (
          <>
            <div class="row">
              <b class="mono" data-testid="review-tx">{d().case.transactionId}</b>
              <span class={`badge ${d().case.decision}`}>{d().case.decision}</span>
              <span>score <b data-testid="review-score">{d().case.score === null ? '–' : d().case.score!.toFixed(3)}</b></span>
              <span class="muted small">status {d().case.status} · model {d().case.modelVersion}</span>
            </div>
            <table class="kv">
              <tbody>
                <tr><th>time (event)</th><td class="mono">{time(d().case.eventTimeMs)}</td><th>card</th><td class="mono" data-testid="review-card">{d().case.cardRef}</td></tr>
                <tr>
                  <th>amount</th>
                  <td class="mono" data-testid="review-amount">{d().case.detail === null ? '–' : `${d().case.detail!.amount.toFixed(2)} ${d().case.detail!.currency ?? ''}`}</td>
                  <th>terminal</th><td class="mono">{show(d().case.detail?.terminalRef)}</td>
                </tr>
                <tr><th>channel</th><td>{show(d().case.detail?.channel)}</td><th>card present</th><td>{show(d().case.detail?.cardPresent)}</td></tr>
                <tr><th>mcc</th><td>{show(d().case.detail?.mcc)}</td><th>country</th><td>{show(d().case.detail?.country)}</td></tr>
              </tbody>
            </table>
            <div class="reasons" data-testid="review-reasons">reasons: {d().case.reasons.join(', ') || '–'}</div>

            <div class="verdict">
              <input class="analyst" placeholder="your name" maxLength={MAX_ANALYST} value={analyst()} onInput={(e) => setAnalyst(e.currentTarget.value)} data-testid="review-analyst" />
              <textarea placeholder="note (optional)" maxLength={MAX_NOTE} rows={2} value={note()} onInput={(e) => setNote(e.currentTarget.value)} data-testid="review-note" />
              <div class="row">
                <button type="button" class="danger" disabled={busy() || analyst().trim() === '' || d().case.status !== 'open'} onClick={() => void decide('confirmed_fraud')} data-testid="review-fraud">
                  Fraud
                </button>
                <button type="button" disabled={busy() || analyst().trim() === '' || d().case.status !== 'open'} onClick={() => void decide('legitimate')} data-testid="review-legit">
                  Legitimate
                </button>
                <span class="muted small">{note().length}/{MAX_NOTE}</span>
              </div>
              <Show when={error()}>{(e) => <div class="message error" data-testid="review-error">{e()}</div>}</Show>
            </div>

            <h3>Card history <span class="muted small">(decision log, newest first)</span></h3>
            <div class="scroll short">
              <table>
                <thead><tr><th>time (event)</th><th>transaction</th><th class="num">score</th><th>decision</th><th>reasons</th></tr></thead>
                <tbody>
                  <For each={history()?.decisions ?? []}>
                    {(h) => (
                      <tr data-testid="review-history-row" class={h.transactionId === d().case.transactionId ? 'current' : ''}>
                        <td class="mono">{time(h.eventTimeMs)}</td>
                        <td class="mono">{h.transactionId}</td>
                        <td class="num">{h.score === null ? '–' : h.score.toFixed(3)}</td>
                        <td><span class={`badge ${h.decision}`}>{h.decision}</span></td>
                        <td class="reasons">{h.reasons.join(', ')}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <Show when={history.error}>{(e) => <div class="message error">{String(e())}</div>}</Show>

            <h3>Audit trail</h3>
            <ol class="audit" data-testid="review-audit">
              <For each={d().history}>
                {(e) => (
                  <li>
                    <span class="mono">{time(e.at)}</span> {e.actor}: {e.fromStatus ?? '–'} → {e.toStatus}
                    <Show when={e.note}>{(n) => <span class="muted"> “{n()}”</span>}</Show>
                  </li>
                )}
              </For>
            </ol>
          </>
        )}
      </Show>
    </div>
  );
}

function labelText(label: LabelOutcome): string {
  if (label.state === 'none') return `no label (${label.reason ?? 'none'})`;
  return `label ${label.state}${label.quality ? ', counted in live quality' : ' (card and terminal state only)'}`;
}
