import { createEffect, createSignal, For, on, Show, type Accessor } from 'solid-js';
import { authHeaders } from './connection';

/** A decision read back from the decision log (`GET /api/decisions`). */
export interface LoggedDecision {
  id: string;
  transactionId: string;
  cardRef: string;
  decision: 'APPROVE' | 'REVIEW' | 'DECLINE';
  score: number | null;
  reasons: string[];
  modelVersion: string;
  eventTimeMs: number;
}

interface DecisionPage {
  decisions: LoggedDecision[];
  next: string | null;
}

/** Rows per page of the alert history. */
export const HISTORY_PAGE = 25;

/** Fetches one page of alerts from the decision log; throws with the server's message (e.g. the log is off). */
async function fetchPage(filter: 'ALL' | 'REVIEW' | 'DECLINE', before: string | undefined): Promise<DecisionPage> {
  const decision = filter === 'ALL' ? 'REVIEW,DECLINE' : filter;
  const query = `decision=${decision}&limit=${HISTORY_PAGE}${before === undefined ? '' : `&before=${encodeURIComponent(before)}`}`;
  const response = await fetch(`/api/decisions?${query}`, { headers: authHeaders() });
  const body = (await response.json()) as DecisionPage | { error?: { message?: string } };
  if (!response.ok || !('decisions' in body)) throw new Error((body as { error?: { message?: string } }).error?.message ?? `HTTP ${response.status}`);
  return body;
}

/**
 * Pages back through every alert the decision log kept (the live list above holds only the recent ones): newest
 * first, `older` follows the page's cursor, `newest` starts over. Follows the alert list's REVIEW/DECLINE filter.
 * Shown only when the system keeps a data dir (the stats carry `cases`); it fetches nothing until opened.
 */
export function AlertHistory(props: { filter: Accessor<'ALL' | 'REVIEW' | 'DECLINE'> }) {
  const [page, setPage] = createSignal<DecisionPage | undefined>(undefined);
  const [cursors, setCursors] = createSignal<(string | undefined)[]>([undefined]);
  const [error, setError] = createSignal<string | undefined>(undefined);
  const [loading, setLoading] = createSignal(false);

  const load = async (stack: (string | undefined)[]): Promise<void> => {
    setLoading(true);
    try {
      const p = await fetchPage(props.filter(), stack[stack.length - 1]);
      setPage(p);
      setCursors(stack);
      setError(undefined);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setLoading(false);
    }
  };
  // A new filter starts again from the newest page, once the history has been opened.
  createEffect(
    on(
      props.filter,
      () => {
        if (page() !== undefined) void load([undefined]);
      },
      { defer: true },
    ),
  );

  const older = (): void => {
    const next = page()?.next;
    if (next !== null && next !== undefined) void load([...cursors(), next]);
  };
  const newer = (): void => {
    const stack = cursors();
    if (stack.length > 1) void load(stack.slice(0, -1));
  };

  return (
    <div class="history" data-testid="alert-history">
      <div class="row">
        <b>From the decision log</b>
        <button type="button" class="ghost" data-testid="history-newest" disabled={loading()} onClick={() => void load([undefined])}>
          {page() === undefined ? 'load' : 'newest'}
        </button>
        <button type="button" class="ghost" data-testid="history-newer" disabled={loading() || cursors().length <= 1} onClick={newer}>
          newer
        </button>
        <button type="button" class="ghost" data-testid="history-older" disabled={loading() || page()?.next == null} onClick={older}>
          older
        </button>
        <span class="muted small" data-testid="history-page">
          <Show when={page() !== undefined}>page {cursors().length}</Show>
        </span>
      </div>
      <Show when={error()}>{(e) => <div class="message error" data-testid="history-error">{e()}</div>}</Show>
      <Show when={page() !== undefined}>
        <div class="scroll">
          <table>
            <thead>
              <tr><th>time (event)</th><th>transaction</th><th>card</th><th class="num">score</th><th>decision</th><th>reasons</th></tr>
            </thead>
            <tbody>
              <For each={page()?.decisions ?? []}>
                {(d) => (
                  <tr data-testid="history-row">
                    <td class="mono">{new Date(d.eventTimeMs).toISOString().slice(0, 19).replace('T', ' ')}</td>
                    <td class="mono" data-testid="history-tx">{d.transactionId}</td>
                    <td class="mono">{d.cardRef}</td>
                    <td class="num">{d.score === null ? '–' : d.score.toFixed(3)}</td>
                    <td><span class={`badge ${d.decision}`}>{d.decision}</span></td>
                    <td class="reasons">{d.reasons.join(', ')}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </div>
  );
}
