import { createMemo, createSignal, For, onCleanup, Show } from 'solid-js';
import { AlertHistory } from './alert-history';
import { compact, TimeChart } from './chart';
import { connect } from './connection';
import { Controls } from './controls';
import { ModelPanel } from './model-panel';
import { ChallengerPanel } from './challenger-panel';
import { ReviewQueue } from './review-queue';
import { RulesPanel } from './rules-panel';
import { createStore } from './store';
import type { DecisionEvent, DecisionName } from './types';

const int = (v: number | undefined): string => (v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
const ms = (v: number | undefined): string => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));

function Tile(props: { label: string; value: string; sub?: string; testId: string; tone?: string }) {
  return (
    <div class={`tile ${props.tone ?? ''}`}>
      <div class="k">{props.label}</div>
      <div class="v" data-testid={props.testId}>{props.value}</div>
      <Show when={props.sub !== undefined}>
        <div class="sub" data-testid={`${props.testId}-sub`}>{props.sub}</div>
      </Show>
    </div>
  );
}

function DecisionBadge(props: { decision: DecisionName }) {
  return <span class={`badge ${props.decision}`}>{props.decision}</span>;
}

function EventRow(props: { e: DecisionEvent; testId: string }) {
  return (
    <tr data-testid={props.testId}>
      <td class="mono">{new Date(props.e.timestampMs).toISOString().slice(5, 19).replace('T', ' ')}</td>
      <td class="mono">{props.e.cardRef}</td>
      <td class="mono">{props.e.terminalRef}</td>
      <td class="num">{props.e.amount.toFixed(2)}</td>
      <td class="num">{Number.isFinite(props.e.score) ? props.e.score.toFixed(3) : '–'}</td>
      <td><DecisionBadge decision={props.e.decision} /></td>
      <td class="reasons">{props.e.reasons.join(', ')}</td>
    </tr>
  );
}

/** A table of decisions (the alert list and the live feed share it), newest first as given. */
function EventTable(props: { events: DecisionEvent[]; testId: string }) {
  return (
    <table>
      <thead>
        <tr><th>time (sim)</th><th>card</th><th>terminal</th><th class="num">amount</th><th class="num">score</th><th>decision</th><th>reasons</th></tr>
      </thead>
      <tbody>
        <For each={props.events}>{(e) => <EventRow e={e} testId={props.testId} />}</For>
      </tbody>
    </table>
  );
}

/** The operations console: controls, tiles, charts, pipeline, model panel, live feed and alerts. */
export function App() {
  const store = createStore();
  const connection = connect(store.apply);
  onCleanup(() => connection.close());
  const [message, setMessage] = createSignal<{ text: string; error: boolean } | undefined>(undefined);
  let messageTimer: ReturnType<typeof setTimeout> | undefined;
  const say = (text: string, error: boolean): void => {
    setMessage({ text, error });
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => setMessage(undefined), 6000);
  };
  const s = store.stats;
  const [filter, setFilter] = createSignal<'ALL' | 'REVIEW' | 'DECLINE'>('ALL');
  const shownAlerts = createMemo(() => {
    const f = filter();
    const list = store.alerts();
    const filtered = f === 'ALL' ? list : list.filter((a) => a.decision === f);
    return filtered.slice(-60).reverse();
  });
  const topReasons = createMemo(() => {
    const f = filter();
    const counts = new Map<string, number>();
    for (const a of store.alerts()) {
      if (f !== 'ALL' && a.decision !== f) continue;
      for (const r of a.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  });
  const maxReason = () => Math.max(1, ...topReasons().map(([, n]) => n));
  const queueWaitMs = () => {
    const st = s();
    if (st === undefined || st.throughput.decideTps <= 0) return 0;
    return (1000 * st.queue.depth) / st.throughput.decideTps;
  };

  return (
    <div class="app">
      <header>
        <h1>Fraudstream <span class="muted">operations console</span></h1>
        <span class={`pill conn ${connection.state()}`} data-testid="connection">
          {connection.state() === 'open' ? 'live' : connection.state() === 'connecting' ? 'connecting…' : `reconnecting (retry in ${(connection.retryInMs() / 1000).toFixed(1)} s)`}
        </span>
        <span class="muted small">
          uptime {s()?.uptimeS.toFixed(0) ?? '–'} s · {compact(connection.lastBytes())}B/update · model {store.feed()[0]?.modelVersion ?? '–'}
        </span>
        <Show when={message()}>
          {(m) => <span class={`message ${m().error ? 'error' : 'info'}`} data-testid="message">{m().text}</span>}
        </Show>
      </header>

      <Controls stats={s} onError={(t) => say(t, true)} onInjected={(t) => say(t, false)} />

      <section class="tiles" data-testid="tiles">
        <Tile label="Throughput in" value={int(s()?.throughput.ingestTps)} sub="tx/s" testId="tile-ingest" />
        <Tile label="Throughput out" value={int(s()?.throughput.decideTps)} sub="decisions/s" testId="tile-decide" />
        <Tile label="Latency p50" value={ms(s()?.latencyMs.p50)} sub="ms, last 10 s" testId="tile-p50" />
        <Tile label="Latency p99" value={ms(s()?.latencyMs.p99)} sub="ms" testId="tile-p99" />
        <Tile label="Latency p99.9" value={ms(s()?.latencyMs.p999)} sub={`ms · from schedule p99 ${ms(s()?.scheduleLatencyMs.p99)}`} testId="tile-p999" />
        <Tile label="Scored" value={int(s()?.counts.scored)} sub={`${int(s()?.counts.inFlight)} in flight · ${int(s()?.counts.rejected)} rejected`} testId="tile-decided" />
        <Tile
          label="Fallback"
          value={int(s()?.counts.fallback)}
          sub={s()?.laws.ok === false ? `COUNTS DISAGREE: ${s()?.laws.violations.map((v) => v.law).join(', ')}` : 'decided without the model · counts agree'}
          testId="tile-fallback"
          tone={(s()?.counts.fallback ?? 0) > 0 || s()?.laws.ok === false ? 'bad' : 'ok'}
        />
        <Tile label="Approved" value={int(s()?.counts.approved)} testId="tile-approved" tone="ok" />
        <Tile label="Review" value={int(s()?.counts.review)} testId="tile-review" tone="warn" />
        <Tile label="Declined" value={int(s()?.counts.declined)} testId="tile-declined" tone="bad" />
        <Tile label="Alert rate" value={`${store.derived().alertPct.toFixed(2)}%`} sub={`${compact(store.derived().alertsPerS)} alerts/s`} testId="tile-alert-rate" />
        <Tile label="Queue depth" value={int(s()?.queue.depth)} sub={`of ${int(s()?.queue.capacity)}`} testId="tile-queue" />
        <Tile label="Workers" value={int(s()?.workers.count)} sub={`${int(s()?.batchesInFlight)} batches in flight`} testId="tile-workers" />
      </section>

      <section class="pipeline panel" data-testid="pipeline">
        <h2>Pipeline</h2>
        <div class="stages">
          <div class="stage">
            <div class="name">Source · {s()?.source.kind ?? '–'}</div>
            <div>rate <b>{compact(s()?.throughput.ingestTps ?? 0)}</b>/s</div>
            <div>target {compact(s()?.source.targetTps ?? 0)}/s</div>
            <div class="muted">{s()?.source.state ?? '–'} · {int(s()?.source.injected ?? 0)} injected</div>
            <Show when={s()?.kafka}>
              {(k) => (
                <div class="kafka-lag" data-testid="kafka-lag">
                  <div>lag <b>{int(k().lag)}</b> · {int(k().unacknowledged)} unacked</div>
                  <For each={k().partitions}>
                    {(p) => (
                      <div class="muted" data-testid="kafka-partition">
                        {p.topic}[{p.partition}] lag {int(p.lag)}
                      </div>
                    )}
                  </For>
                </div>
              )}
            </Show>
          </div>
          <div class="arrow">→</div>
          <div class="stage">
            <div class="name">Queue · SPSC ring</div>
            <div>depth <b>{int(s()?.queue.depth)}</b></div>
            <div class="bar"><div style={{ width: `${Math.min(100, (100 * (s()?.queue.depth ?? 0)) / Math.max(1, s()?.queue.capacity ?? 1))}%` }} /></div>
            <div class="muted">est. wait {ms(queueWaitMs())} ms</div>
          </div>
          <div class="arrow">→</div>
          <div class="stage">
            <div class="name">Workers · {int(s()?.workers.count)} threads</div>
            <div>rate <b>{compact(s()?.throughput.decideTps ?? 0)}</b>/s</div>
            <div>{int(s()?.batchesInFlight)} batches in flight</div>
            <div class="muted">mean batch {compact(s()?.batches?.meanSize ?? 0)} tx</div>
          </div>
          <div class="arrow">→</div>
          <div class="stage">
            <div class="name">Decisions</div>
            <div>alerts <b>{compact(store.derived().alertsPerS)}</b>/s</div>
            <div>p50 {ms(s()?.latencyMs.p50)} · p99 {ms(s()?.latencyMs.p99)} ms</div>
            <div class="muted">ingest→decision, last 10 s</div>
          </div>
        </div>
      </section>

      <div class="charts">
        <TimeChart title="Throughput (tx/s, last 5 min)" ring={store.throughput} tick={store.tick} yLabel="tx/s" testId="chart-throughput"
          series={[{ label: 'in', stroke: '#4f8cc9' }, { label: 'out', stroke: '#5cc98a' }]} />
        <TimeChart title="Latency percentiles (ms)" ring={store.latency} tick={store.tick} yLabel="ms" log testId="chart-latency"
          series={[{ label: 'p50', stroke: '#5cc98a' }, { label: 'p99', stroke: '#f0a030' }, { label: 'p99.9', stroke: '#e0524f' }]} />
        <TimeChart title="Alerts" ring={store.alertRate} tick={store.tick} yLabel="alerts/s" testId="chart-alerts"
          series={[{ label: 'alerts/s', stroke: '#e0524f' }, { label: 'alert %', stroke: '#b48ce0', format: (v) => `${v.toFixed(2)}%`, scale: '%' }]} />
      </div>

      <div class="lower">
        <ModelPanel stats={s} onError={(t) => say(t, true)} />
        <section class="panel alerts" data-testid="alerts">
          <h2>
            Alerts <span class="muted small">({int(store.alerts().length)} kept, {int(store.alertsOmitted())} beyond the per-update bound)</span>
          </h2>
          <div class="row">
            <For each={['ALL', 'REVIEW', 'DECLINE'] as const}>
              {(f) => (
                <button type="button" class={filter() === f ? 'tab active' : 'tab'} data-testid={`filter-${f}`} onClick={() => setFilter(f)}>
                  {f}
                </button>
              )}
            </For>
          </div>
          <div class="reasons-chart" data-testid="top-reasons">
            <For each={topReasons()}>
              {([reason, n]) => (
                <div class="reason">
                  <span class="rname">{reason}</span>
                  <span class="rbar"><span style={{ width: `${(100 * n) / maxReason()}%` }} /></span>
                  <span class="num">{n}</span>
                </div>
              )}
            </For>
          </div>
          <div class="scroll">
            <EventTable events={shownAlerts()} testId="alert-row" />
          </div>
          <Show when={s()?.cases !== undefined}>
            <AlertHistory filter={filter} />
          </Show>
        </section>
      </div>

      {/* Case review: shown when the system keeps a case store (the stats carry `cases`). */}
      <Show when={s()?.cases !== undefined}>
        <ReviewQueue />
      </Show>

      <RulesPanel stats={s} />

      <ChallengerPanel stats={s} onError={(t) => say(t, true)} onInfo={(t) => say(t, false)} />

      <section class="panel feed" data-testid="feed">
        <h2>Live transactions <span class="muted small">(uniform sample, card ids masked)</span></h2>
        <div class="scroll">
          <EventTable events={store.feed().slice().reverse()} testId="feed-row" />
        </div>
      </section>
    </div>
  );
}
