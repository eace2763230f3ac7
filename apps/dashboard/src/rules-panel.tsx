import { createMemo, createSignal, For, Show } from 'solid-js';
import { authHeaders } from './connection';
import type { Stats } from './types';

/** One live rule as the panel shows it. */
interface RuleRow {
  name: string;
  action: string;
  source: string;
  hits: number;
  /** Hits per second between the last two updates (undefined on the first one of a rule set). */
  rate: number | undefined;
}

const int = (v: number): string => Math.round(v).toLocaleString('en-US');

/** Sends a request with the token, returning the parsed JSON or throwing the API error's message. */
async function call(method: 'GET' | 'PUT', path: string, body?: string): Promise<unknown> {
  const response = await fetch(path, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'text/plain; charset=utf-8' }), ...authHeaders() },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw new Error((parsed as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${response.status}`);
  return parsed;
}

/**
 * The live rules with their hits and hits per second (from the pushed stats), the allow/block list hits, and an
 * editor for the rules text: `Load live` reads it from GET /api/rules, `Apply` sends it to PUT /api/rules, and a
 * refused text shows the server's message (the rule, line and column).
 */
export function RulesPanel(props: { stats: () => Stats | undefined }) {
  let previous: { generation: number; at: number; hits: Map<string, number> } | undefined;
  const rows = createMemo<RuleRow[]>(() => {
    const rules = props.stats()?.rules;
    if (rules === undefined) return [];
    const at = performance.now();
    const last = previous !== undefined && previous.generation === rules.generation ? previous : undefined;
    const seconds = last === undefined ? 0 : (at - last.at) / 1000;
    const out = rules.rules.map((r) => {
      const before = last?.hits.get(r.name);
      return { name: r.name, action: r.action, source: r.source, hits: r.hits, rate: before === undefined || seconds <= 0 ? undefined : (r.hits - before) / seconds };
    });
    previous = { generation: rules.generation, at, hits: new Map(rules.rules.map((r) => [r.name, r.hits])) };
    return out;
  });
  const omitted = () => (props.stats()?.rules as { rulesOmitted?: number } | undefined)?.rulesOmitted ?? 0;
  const [text, setText] = createSignal('');
  const [error, setError] = createSignal<string | undefined>(undefined);
  const [note, setNote] = createSignal<string | undefined>(undefined);
  const [busy, setBusy] = createSignal(false);

  const load = async (): Promise<void> => {
    setError(undefined);
    try {
      const live = (await call('GET', '/api/rules')) as { text: string; origin: string; generation: number };
      setText(live.text);
      setNote(`loaded generation ${live.generation} (set by ${live.origin})`);
    } catch (e) {
      setError(`rules: ${(e as Error).message}`);
    }
  };
  const apply = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setNote(undefined);
    try {
      const live = (await call('PUT', '/api/rules', text())) as { generation: number; rules: unknown[] };
      setNote(`generation ${live.generation} live: ${live.rules.length} rule(s)`);
    } catch (e) {
      // The server's message names the rule, line and column; the live rules stay.
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel rules" data-testid="rules-panel">
      <h2>
        Rules <span class="muted small">generation {props.stats()?.rules.generation ?? '–'} · {rows().length} rule(s)</span>
      </h2>
      <table>
        <thead>
          <tr><th>rule</th><th>action</th><th class="num">hits</th><th class="num">hits/s</th><th>expression</th></tr>
        </thead>
        <tbody>
          <For each={rows()}>
            {(r) => (
              <tr data-testid="rule-row" data-rule={r.name}>
                <td class="mono">{r.name}</td>
                <td>{r.action}</td>
                <td class="num" data-testid="rule-hits">{int(r.hits)}</td>
                <td class="num" data-testid="rule-rate">{r.rate === undefined ? '–' : int(r.rate)}</td>
                <td class="mono small">{r.source}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={omitted() > 0}>
        <div class="muted small">{omitted()} more rule(s) not pushed; GET /api/rules lists them all</div>
      </Show>
      <div class="muted small" data-testid="list-hits">
        allow list {int(props.stats()?.rules.allowHits ?? 0)} hits · block list {int(props.stats()?.rules.blockHits ?? 0)} hits
        <Show when={props.stats()?.rules.file}>{(f) => <> · file {f().path} ({f().loads} loads){f().error === undefined ? '' : `: ${f().error}`}</>}</Show>
      </div>
      <textarea class="rules-text mono" data-testid="rules-text" rows="6" spellcheck={false} placeholder={'rule BIG_ONLINE review: amount > 5000 and channel == "ONLINE"'}
        value={text()} onInput={(e) => setText(e.currentTarget.value)} />
      <div class="row">
        <button type="button" class="ghost" data-testid="rules-load" onClick={() => void load()}>Load live</button>
        <button type="button" data-testid="rules-apply" disabled={busy()} onClick={() => void apply()}>Apply</button>
        <Show when={note()}>{(n) => <span class="muted small" data-testid="rules-note">{n()}</span>}</Show>
      </div>
      <Show when={error()}>{(m) => <div class="message error" data-testid="rules-error">{m()}</div>}</Show>
    </section>
  );
}
