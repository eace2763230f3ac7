import { createEffect, createMemo, createSignal, Show } from 'solid-js';
import { post } from './connection';
import { tradeOffAt } from './quality';
import type { Stats } from './types';

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
const pct2 = (v: number): string => `${(v * 100).toFixed(2)}%`;

/**
 * Live precision / recall / FPR from delayed labels, the score distribution, and a threshold control that previews
 * the precision/recall trade-off at the candidate thresholds before `Apply` sends them to POST /api/thresholds.
 */
export function ModelPanel(props: { stats: () => Stats | undefined; onError: (message: string) => void }) {
  const applied = () => props.stats()?.thresholds ?? { review: 0.5, decline: 0.9 };
  const [review, setReview] = createSignal<number | undefined>(undefined);
  const [decline, setDecline] = createSignal<number | undefined>(undefined);
  const candidateReview = () => review() ?? applied().review;
  const candidateDecline = () => decline() ?? applied().decline;
  const scores = () => props.stats()?.quality.scores;
  const now = createMemo(() => {
    const s = scores();
    return s === undefined ? undefined : tradeOffAt(applied().review, s.fraud, s.legit);
  });
  const preview = createMemo(() => {
    const s = scores();
    return s === undefined ? undefined : tradeOffAt(candidateReview(), s.fraud, s.legit);
  });
  const dirty = () => review() !== undefined || decline() !== undefined;
  const apply = async (): Promise<void> => {
    const body = { review: candidateReview(), decline: Math.max(candidateReview(), candidateDecline()) };
    try {
      await post('/api/thresholds', body);
      setReview(undefined);
      setDecline(undefined);
    } catch (error) {
      props.onError(`thresholds: ${(error as Error).message}`);
    }
  };

  let canvas!: HTMLCanvasElement;
  createEffect(() => drawHistogram(canvas, scores(), applied().review, applied().decline, candidateReview(), candidateDecline()));

  return (
    <section class="panel model" data-testid="model-panel">
      <h2>Model quality (delayed labels)</h2>
      <div class="kv3">
        <div>
          <span class="k">Precision</span>
          <b data-testid="precision">{pct(props.stats()?.quality.precision ?? 0)}</b>
        </div>
        <div>
          <span class="k">Recall</span>
          <b data-testid="recall">{pct(props.stats()?.quality.recall ?? 0)}</b>
        </div>
        <div>
          <span class="k">FPR</span>
          <b data-testid="fpr">{pct2(props.stats()?.quality.fpr ?? 0)}</b>
        </div>
      </div>
      <div class="muted small" data-testid="labelled">{(props.stats()?.quality.labelled ?? 0).toLocaleString('en-US')} labelled transactions (labels arrive 7 simulated days late); rules included</div>
      <canvas ref={canvas} class="hist" width={560} height={140} />
      <div class="muted small legend">
        <span class="sw all" /> all decisions <span class="sw fraud" /> labelled fraud <span class="sw legit" /> labelled legit · log scale ·
        solid = applied, dashed = candidate
      </div>
      <div class="muted small">Preview: labelled transactions with score ≥ the review threshold count as alerts (rules not included); "alerts" = how many of them.</div>
      <div class="thresholds">
        <label>
          Review ≥ <b data-testid="cand-review">{candidateReview().toFixed(2)}</b>
          <input type="range" min="0" max="1" step="0.02" value={candidateReview()} data-testid="review-slider"
            onInput={(e) => setReview(Number(e.currentTarget.value))} />
        </label>
        <label>
          Decline ≥ <b>{candidateDecline().toFixed(2)}</b>
          <input type="range" min="0" max="1" step="0.02" value={candidateDecline()}
            onInput={(e) => setDecline(Number(e.currentTarget.value))} />
        </label>
      </div>
      <table class="tradeoff">
        <thead>
          <tr><th>score ≥ review</th><th>precision</th><th>recall</th><th>FPR</th><th class="num">alerts</th></tr>
        </thead>
        <tbody>
          <tr>
            <td>applied {applied().review.toFixed(2)}</td>
            <td>{pct(now()?.precision ?? 0)}</td>
            <td>{pct(now()?.recall ?? 0)}</td>
            <td>{pct2(now()?.fpr ?? 0)}</td>
            <td class="num">{(now()?.alerts ?? 0).toLocaleString('en-US')}</td>
          </tr>
          <tr class={dirty() ? 'candidate' : ''} data-testid="preview-row">
            <td>candidate {candidateReview().toFixed(2)}</td>
            <td data-testid="preview-precision">{pct(preview()?.precision ?? 0)}</td>
            <td data-testid="preview-recall">{pct(preview()?.recall ?? 0)}</td>
            <td>{pct2(preview()?.fpr ?? 0)}</td>
            <td class="num" data-testid="preview-alerts">{(preview()?.alerts ?? 0).toLocaleString('en-US')}</td>
          </tr>
        </tbody>
      </table>
      <div class="row">
        <button type="button" disabled={!dirty()} onClick={() => void apply()} data-testid="apply-thresholds">Apply</button>
        <button type="button" class="ghost" disabled={!dirty()} onClick={() => { setReview(undefined); setDecline(undefined); }}>Reset</button>
        <Show when={scores() === undefined}>
          <span class="muted small">this server sends no score histograms</span>
        </Show>
      </div>
    </section>
  );
}

function drawHistogram(
  canvas: HTMLCanvasElement,
  s: { bins: number; fraud: number[]; legit: number[]; all: number[] } | undefined,
  review: number,
  decline: number,
  candReview: number,
  candDecline: number,
): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  if (s === undefined) return;
  const max = Math.max(1, ...s.all, ...s.fraud, ...s.legit);
  const y = (v: number): number => (v <= 0 ? h : h - (Math.log10(v + 1) / Math.log10(max + 1)) * (h - 4));
  const bw = w / s.bins;
  const bars = (values: number[], color: string, inset: number): void => {
    ctx.fillStyle = color;
    for (let b = 0; b < s.bins; b++) {
      const top = y(values[b] ?? 0);
      ctx.fillRect(b * bw + inset, top, bw - 2 * inset, h - top);
    }
  };
  bars(s.all, '#3b4658', 0.5);
  bars(s.legit, '#4f8cc9', bw * 0.3);
  bars(s.fraud, '#e0524f', bw * 0.38);
  const line = (x: number, color: string, dashed: boolean): void => {
    ctx.strokeStyle = color;
    ctx.setLineDash(dashed ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x * w, 0);
    ctx.lineTo(x * w, h);
    ctx.stroke();
  };
  line(review, '#f0a030', false);
  line(decline, '#e0524f', false);
  if (candReview !== review) line(candReview, '#f0a030', true);
  if (candDecline !== decline) line(candDecline, '#e0524f', true);
  ctx.setLineDash([]);
}
