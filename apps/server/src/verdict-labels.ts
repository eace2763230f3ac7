import type { VerdictLabel } from '@fraudstream/store';
import type { ScoringEngine } from './scoring-engine.js';

/** How long a verdict waits for ring space before it is refused with a 503 (nothing changed then). */
const VERDICT_SPACE_WAIT_MS = 2000;
/** Most verdict labels waiting for ring space after their verdict was committed. */
const MAX_WAITING = 10_000;

/** What happened to a verdict's label record, as `POST /api/cases/:id` answers it. */
export interface VerdictLabelOutcome {
  /** `written` into the engine's ring; `queued` (the ring filled between the check and the commit: written when space frees); `none` (see reason). */
  state: 'written' | 'queued' | 'none';
  /** True when the label also counts in the live quality figures (the transaction was decided by this engine run). */
  quality: boolean;
  reason?: string;
}

/**
 * Writes analysts' verdicts into the engine as label records, the path `POST /v1/labels` uses: the record carries the
 * transaction's card and terminal keys (opened from the case's sealed form), its event time and, when the
 * transaction was decided by this run, its ingest sequence number, so the scorer updates card and terminal fraud
 * state and the engine's quality tracker counts it (`quality.labelled`). The verdict route commits the case first
 * (atomically refusing a second verdict), then writes exactly one label for it.
 */
export class VerdictLabels {
  private written = 0;
  private readonly waiting: { label: VerdictLabel; fraud: boolean }[] = [];
  private draining = false;

  constructor(private readonly engine: ScoringEngine) {
    // A writer of label records: its own count enters the engine's ring law.
    engine.addWriter(() => ({ transactions: 0, labels: this.written }));
  }

  /** Labels written into the ring so far, and those waiting for space. */
  counts(): { written: number; waiting: number } {
    return { written: this.written, waiting: this.waiting.length };
  }

  /** Waits (bounded) for ring space for one label; false when the ring stayed full or the request was aborted. */
  async ready(aborted: () => boolean): Promise<boolean> {
    const sink = this.engine.sink;
    const until = performance.now() + VERDICT_SPACE_WAIT_MS;
    while (sink.free() === 0 || this.waiting.length > 0) {
      if (performance.now() >= until || aborted()) return false;
      await sink.waitForSpace(50);
    }
    return this.waiting.length < MAX_WAITING;
  }

  /** Writes the label of a committed verdict now, or queues it when the ring is full (never drops it). */
  write(label: VerdictLabel, fraud: boolean): VerdictLabelOutcome {
    const quality = Number.isInteger(label.seq);
    if (this.waiting.length === 0 && this.writeNow(label, fraud)) return { state: 'written', quality };
    this.waiting.push({ label, fraud });
    void this.drain();
    return { state: 'queued', quality };
  }

  private writeNow(label: VerdictLabel, fraud: boolean): boolean {
    const sink = this.engine.sink;
    if (sink.claim(1) === 0) return false;
    const [cardLo, cardHi, termLo, termHi] = label.keys;
    this.engine.records.writeLabel(sink.claimedSlot, label.seq, label.eventTimeMs, cardLo, cardHi, termLo, termHi, fraud, performance.timeOrigin + performance.now());
    sink.publish(1);
    this.written++;
    return true;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const next = this.waiting[0]!;
        if (this.writeNow(next.label, next.fraud)) this.waiting.shift();
        else await this.engine.sink.waitForSpace(50);
      }
    } finally {
      this.draining = false;
    }
  }
}
