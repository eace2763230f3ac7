import { createSignal, For, Show } from 'solid-js';
import { authHeaders } from './connection';
import type { Stats } from './types';

type Challenger = NonNullable<Stats['challenger']>;
type Side = Challenger['quality']['champion'];

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

/** Sends a raw body (a bundle's JSON text) or none to the challenger API; throws with the server's message. */
async function send(method: 'PUT' | 'DELETE' | 'POST', path: string, body?: string): Promise<unknown> {
  const response = await fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    ...(body === undefined ? {} : { body }),
  });
  const parsed = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  if (!response.ok) throw new Error(parsed?.error?.message ?? `HTTP ${response.status}`);
  return parsed;
}

/** The rows of the side-by-side table: label, how to read it from one side, how to show it. */
const ROWS: { key: string; label: string; get: (q: Side) => number; show: (v: number) => string }[] = [
  { key: 'precision', label: 'Precision', get: (q) => q.precision, show: pct },
  { key: 'recall', label: 'Recall', get: (q) => q.recall, show: pct },
  { key: 'fpr', label: 'False positive rate', get: (q) => q.fpr, show: (v) => `${(v * 100).toFixed(2)}%` },
  { key: 'ap', label: 'Average precision', get: (q) => q.averagePrecision, show: (v) => v.toFixed(3) },
  { key: 'alerts', label: 'Alerts in window', get: (q) => q.alerts, show: int },
  { key: 'caught', label: 'Frauds caught', get: (q) => q.tp, show: int },
];

/**
 * Champion and challenger side by side: live quality of both over the same window of labelled transactions,
 * alert volumes since the challenger went live, recent disagreements, and the load / promote / remove controls
 * (PUT, POST /promote, DELETE /api/challenger).
 */
export function ChallengerPanel(props: { stats: () => Stats | undefined; onError: (message: string) => void; onInfo: (message: string) => void }) {
  const ch = (): Challenger | null | undefined => props.stats()?.challenger;
  const [busy, setBusy] = createSignal(false);
  const run = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await action();
      props.onInfo(what);
    } catch (error) {
      props.onError(`challenger: ${(error as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const load = (input: HTMLInputElement): void => {
    const file = input.files?.[0];
    if (file === undefined) return;
    void run(`challenger ${file.name} loaded`, async () => send('PUT', '/api/challenger', await file.text()));
    input.value = '';
  };
  const alertRate = (approved: number, review: number, declined: number): string => {
    const n = approved + review + declined;
    return n === 0 ? '–' : `${int(review + declined)} (${pct((review + declined) / n)})`;
  };

  return (
    <section class="panel challenger" data-testid="challenger-panel">
      <h2>Champion vs challenger <span class="muted small">(challenger scored in shadow, never acted on)</span></h2>
      <Show
        when={ch()}
        fallback={
          <div class="muted small" data-testid="challenger-none">
            No challenger loaded. Load a bundle to score the same stream in shadow:{' '}
            <input type="file" accept=".json,application/json" data-testid="challenger-file" disabled={busy()} onChange={(e) => load(e.currentTarget)} />
          </div>
        }
      >
        {(c) => (
          <>
            <div class="muted small">
              challenger <b class="mono" data-testid="challenger-version">{c().version}</b> · {int(c().counts.scored)} scored in shadow ·{' '}
              {int(c().counts.failed)} failed · window: the last {int(c().quality.window)} labelled transactions both scored
            </div>
            <table class="side-by-side" data-testid="challenger-quality">
              <thead>
                <tr><th /><th class="num">champion</th><th class="num">challenger</th></tr>
              </thead>
              <tbody>
                <tr>
                  <td>Labelled in window</td>
                  <td class="num" data-testid="q-champion-labelled">{int(c().quality.champion.labelled)}</td>
                  <td class="num" data-testid="q-challenger-labelled">{int(c().quality.challenger.labelled)}</td>
                </tr>
                <For each={ROWS}>
                  {(r) => (
                    <tr>
                      <td>{r.label}</td>
                      <td class="num" data-testid={`q-champion-${r.key}`}>{r.show(r.get(c().quality.champion))}</td>
                      <td class="num" data-testid={`q-challenger-${r.key}`}>{r.show(r.get(c().quality.challenger))}</td>
                    </tr>
                  )}
                </For>
                <tr>
                  <td>Alerts since loaded</td>
                  <td class="num" data-testid="v-champion">{alertRate(c().champion.approved, c().champion.review, c().champion.declined)}</td>
                  <td class="num" data-testid="v-challenger">{alertRate(c().counts.approved, c().counts.review, c().counts.declined)}</td>
                </tr>
              </tbody>
            </table>
            <div class="row">
              <button type="button" data-testid="challenger-promote" disabled={busy()}
                onClick={() => { if (confirm(`Promote ${c().version} to champion? The current champion is dropped.`)) void run('challenger promoted', () => send('POST', '/api/challenger/promote')); }}>
                Promote to champion
              </button>
              <button type="button" data-testid="challenger-remove" disabled={busy()} onClick={() => void run('challenger removed', () => send('DELETE', '/api/challenger'))}>
                Remove
              </button>
            </div>
            <Show when={c().recent.length > 0}>
              <div class="muted small">Recent disagreements (newest first)</div>
              <table data-testid="challenger-recent">
                <thead>
                  <tr><th>card</th><th class="num">amount</th><th>champion</th><th>challenger</th></tr>
                </thead>
                <tbody>
                  <For each={c().recent.slice(-8).reverse()}>
                    {(d) => (
                      <tr>
                        <td class="mono">{d.cardRef}</td>
                        <td class="num">{d.amount.toFixed(2)}</td>
                        <td><span class={`badge ${d.champion.decision}`}>{d.champion.decision}</span> {d.champion.score.toFixed(3)}</td>
                        <td><span class={`badge ${d.challenger.decision}`}>{d.challenger.decision}</span> {d.challenger.score.toFixed(3)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
