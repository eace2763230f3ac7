import { createEffect, createSignal, For } from 'solid-js';
import { post } from './connection';
import { positionOf, STEPS, tpsAt } from './rate-scale';
import type { Stats } from './types';

export const SCENARIOS = [
  { kind: 'card-testing', label: 'Card-testing burst', hint: '36 tiny probes on one card, then large cash-outs' },
  { kind: 'compromised-terminal', label: 'Compromised terminal', hint: '30 cards charged large amounts at one terminal' },
] as const;

/** Start/stop, the generation-rate slider with a typed value, and the attack scenario buttons. */
export function Controls(props: { stats: () => Stats | undefined; onError: (message: string) => void; onInjected: (text: string) => void }) {
  const [editing, setEditing] = createSignal<number | undefined>(undefined);
  const [typed, setTyped] = createSignal('');
  const serverTps = () => props.stats()?.source.targetTps ?? 1000;
  const shownTps = () => editing() ?? serverTps();
  const isGenerator = () => props.stats()?.source.kind === 'generator';
  createEffect(() => {
    if (editing() === undefined) setTyped(String(serverTps()));
  });

  const call = async (what: string, path: string, body?: unknown): Promise<unknown> => {
    try {
      return await post(path, body);
    } catch (error) {
      props.onError(`${what}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const setTps = async (tps: number): Promise<void> => {
    setEditing(tps);
    await call('rate', '/api/generator', { tps });
    setEditing(undefined);
  };
  const submitTyped = (): void => {
    const value = Number(typed().replace(/[_,\s]/g, ''));
    if (!Number.isFinite(value) || value < 1 || value > 5_000_000) {
      props.onError('rate: type a number from 1 to 5,000,000');
      return;
    }
    void setTps(Math.round(value));
  };
  const inject = async (kind: string): Promise<void> => {
    const result = (await call('scenario', '/api/scenario', { kind })) as { queued?: number } | undefined;
    if (result?.queued !== undefined) props.onInjected(`${kind}: ${result.queued} transactions injected`);
  };

  return (
    <section class="panel controls" data-testid="controls">
      <div class="row">
        <button type="button" data-testid="start" disabled={props.stats()?.running === true} onClick={() => void call('start', '/api/system/start')}>
          ▶ Start
        </button>
        <button type="button" data-testid="stop" class="danger" disabled={props.stats()?.running !== true} onClick={() => void call('stop', '/api/system/stop')}>
          ■ Stop
        </button>
        <span class={`pill ${props.stats()?.running === true ? 'ok' : 'idle'}`} data-testid="running">
          {props.stats() === undefined ? '…' : props.stats()?.running === true ? 'running' : (props.stats()?.source.state ?? 'stopped')}
        </span>
      </div>
      <div class="row rate">
        <label for="tps-slider">Generation rate</label>
        <input id="tps-slider" type="range" min="0" max={STEPS} step="1" data-testid="tps-slider" disabled={!isGenerator()}
          value={positionOf(shownTps())}
          onInput={(e) => setEditing(tpsAt(Number(e.currentTarget.value)))}
          onChange={(e) => void setTps(tpsAt(Number(e.currentTarget.value)))} />
        <input type="text" inputmode="numeric" class="tps-input" data-testid="tps-input" disabled={!isGenerator()}
          value={typed()}
          onFocus={() => setEditing(serverTps())}
          onBlur={() => setEditing(undefined)}
          onInput={(e) => setTyped(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') submitTyped(); }} />
        <span class="muted">tx/s</span>
        <button type="button" class="ghost" data-testid="tps-set" disabled={!isGenerator()} onMouseDown={(e) => e.preventDefault()} onClick={submitTyped}>Set</button>
      </div>
      <div class="row scenarios">
        <span class="muted">Inject attack:</span>
        <For each={SCENARIOS}>
          {(s) => (
            <button type="button" class="warn" title={s.hint} data-testid={`scenario-${s.kind}`} disabled={!isGenerator() || props.stats()?.running !== true}
              onClick={() => void inject(s.kind)}>
              {s.label}
            </button>
          )}
        </For>
      </div>
    </section>
  );
}
