import { createEffect, createSignal, For, on, Show } from 'solid-js';
import { ReviewCase } from './review-case';
import { fetchQueue, type ReviewCase as Case, type ReviewOrder } from './review-api';

const time = (ms: number): string => new Date(ms).toISOString().slice(5, 19).replace('T', ' ');

/**
 * The review queue over the case store: open cases, oldest opened first or riskiest (highest score) first, paged
 * with the server's cursors; selecting one shows it (ReviewCase) for a verdict. Fetches nothing until opened.
 */
export function ReviewQueue() {
  const [order, setOrder] = createSignal<ReviewOrder>('oldest');
  const [page, setPage] = createSignal<{ cases: Case[]; next: string | null } | undefined>(undefined);
  const [cursors, setCursors] = createSignal<(string | undefined)[]>([undefined]);
  const [selected, setSelected] = createSignal<string | undefined>(undefined);
  const [error, setError] = createSignal<string | undefined>(undefined);
  const [info, setInfo] = createSignal<string | undefined>(undefined);
  const [loading, setLoading] = createSignal(false);

  const load = async (stack: (string | undefined)[]): Promise<void> => {
    setLoading(true);
    try {
      setPage(await fetchQueue(order(), stack[stack.length - 1]));
      setCursors(stack);
      setError(undefined);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setLoading(false);
    }
  };
  createEffect(on(order, () => page() !== undefined && void load([undefined]), { defer: true }));

  const decided = (message: string): void => {
    setInfo(message);
    setSelected(undefined);
    // The decided case leaves the open queue: reload the same page.
    void load(cursors());
  };

  return (
    <section class="panel review" data-testid="review-queue">
      <h2>Review queue <span class="muted small">(open cases from the case store)</span></h2>
      <div class="row">
        <button type="button" class="ghost" data-testid="review-load" disabled={loading()} onClick={() => void load([undefined])}>
          {page() === undefined ? 'load' : 'first page'}
        </button>
        <For each={['oldest', 'score'] as const}>
          {(o) => (
            <button type="button" class={order() === o ? 'tab active' : 'tab'} data-testid={`review-order-${o}`} onClick={() => setOrder(o)}>
              {o === 'oldest' ? 'oldest first' : 'riskiest first'}
            </button>
          )}
        </For>
        <button type="button" class="ghost" data-testid="review-prev" disabled={loading() || cursors().length <= 1} onClick={() => void load(cursors().slice(0, -1))}>
          previous
        </button>
        <button type="button" class="ghost" data-testid="review-next" disabled={loading() || page()?.next == null} onClick={() => void load([...cursors(), page()!.next!])}>
          next
        </button>
        <Show when={page() !== undefined}>
          <span class="muted small" data-testid="review-page">page {cursors().length}</span>
        </Show>
        <Show when={info()}>{(m) => <span class="message info" data-testid="review-message">{m()}</span>}</Show>
      </div>
      <Show when={error()}>{(e) => <div class="message error" data-testid="review-queue-error">{e()}</div>}</Show>
      <div class="review-grid">
        <div class="scroll">
          <Show when={page() !== undefined}>
            <table>
              <thead><tr><th>opened</th><th>transaction</th><th class="num">score</th><th>decision</th><th class="num">amount</th></tr></thead>
              <tbody>
                <For each={page()?.cases ?? []}>
                  {(c) => (
                    <tr data-testid="review-row" class={selected() === c.id ? 'selected' : 'clickable'} onClick={() => setSelected(c.id)}>
                      <td class="mono">{time(c.openedAt)}</td>
                      <td class="mono" data-testid="review-row-tx">{c.transactionId}</td>
                      <td class="num" data-testid="review-row-score">{c.score === null ? '–' : c.score.toFixed(3)}</td>
                      <td><span class={`badge ${c.decision}`}>{c.decision}</span></td>
                      <td class="num">{c.detail === null ? '–' : c.detail.amount.toFixed(2)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={page()?.cases.length === 0}><div class="muted" data-testid="review-empty">no open cases</div></Show>
          </Show>
        </div>
        <Show when={selected()} keyed>
          {(id) => <ReviewCase id={id} onDecided={decided} />}
        </Show>
      </div>
    </section>
  );
}
