import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '@fraudstream/server';
import { createSystem, type FraudSystem } from '@fraudstream/system';
import { until } from '../utils/poll.js';
import { DASHBOARD_DIST, launchBrowser, openPage, SCREENSHOT_DIR, tileNumber } from './browser.js';

// An analyst reviews a case in the dashboard, in chromium against the real server and system (engine, Rust scorer,
// case writer on SQLite, decision log): the verdict closes the case with who and when in the audit trail, and its
// label reaches the engine's live quality counts, seen both in /api/stats and in the dashboard's quality panel.

let browser: Browser;
let system: FraudSystem;
let server: RunningServer;
let base: string;
let dataDir: string;

interface Stats {
  quality: { labelled: number; precision: number };
  counts: { labels: { applied: number } };
  cases?: { opened: number };
}
const stats = async (): Promise<Stats> => (await (await fetch(`${base}/api/stats`)).json()) as Stats;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fraudstream-review-'));
  browser = await launchBrowser();
  // Review threshold 0: every transaction is an alert, so the queue fills at once. Durable, as `start` runs, so the
  // card history comes from the decision log of the same data dir.
  system = await createSystem({
    source: { kind: 'generator', tps: 300, seed: 11 },
    workers: 1,
    dataDir,
    durability: { dataDir },
    thresholds: { review: 0, decline: 0.9 },
    autoStart: true,
  });
  server = await startServer({ system, port: 0, staticDir: DASHBOARD_DIST });
  base = `http://127.0.0.1:${server.port}`;
  await until(async () => ((await stats()).cases?.opened ?? 0) >= 30 || undefined);
  // Stopped: no new transactions and no generator labels, so the quality counts move only by the analyst's verdict.
  await system.stop();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('case review in chromium', () => {
  it('an analyst marks the riskiest open case as fraud and the label reaches the engine quality counts', async () => {
    const before = await stats();
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    await page.click('[data-testid=review-load]');
    await page.click('[data-testid=review-order-score]');
    // Riskiest first: the scores shown are in descending order.
    const scores = await until(async () => {
      const shown = (await page.locator('[data-testid=review-row-score]').allInnerTexts()).map(Number);
      return shown.length === 15 && shown.every((x, i) => i === 0 || x <= shown[i - 1]!) ? shown : undefined;
    });
    const tx = await page.locator('[data-testid=review-row-tx]').first().innerText();
    const caseJson = (await (await fetch(`${base}/api/cases?status=open&order=score&limit=1`)).json()) as { cases: { id: string; transactionId: string; score: number }[] };
    expect(caseJson.cases[0]).toMatchObject({ transactionId: tx });
    expect(scores[0]).toBeCloseTo(caseJson.cases[0]!.score, 3);

    await page.locator('[data-testid=review-row]').first().click();
    await until(async () => ((await page.locator('[data-testid=review-tx]').count()) === 1 ? true : undefined));
    expect(await page.locator('[data-testid=review-tx]').innerText()).toBe(tx);
    // The card's history from the decision log holds this transaction, and the card shows as its reference only.
    await until(async () => ((await page.locator('[data-testid=review-history-row]').count()) > 0 ? true : undefined));
    expect(await page.locator('[data-testid=review-history-row]').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining(tx)]));
    expect(await page.locator('[data-testid=review-card]').innerText()).toMatch(/^[0-9a-f]{16}$/);
    expect(await page.locator('[data-testid=review-amount]').innerText()).toMatch(/^\d+\.\d\d EUR$/);

    expect(await page.locator('[data-testid=review-fraud]').isDisabled()).toBe(true); // no analyst name yet
    await page.fill('[data-testid=review-analyst]', 'alice@bank');
    await page.fill('[data-testid=review-note]', 'customer denies the purchase');
    await page.locator('[data-testid=review-queue]').screenshot({ path: join(SCREENSHOT_DIR, 'review-case.png') });
    await page.click('[data-testid=review-fraud]');
    const message = await until(async () => {
      const m = page.locator('[data-testid=review-message]');
      return (await m.count()) === 1 ? m.innerText() : undefined;
    });
    expect(message).toContain(`${tx}: confirmed fraud`);
    expect(message).toContain('label written, counted in live quality');

    // The label reaches the engine: one more labelled transaction, a true positive (every case is an alert), applied
    // by the scorer; the dashboard's quality panel shows it from the WebSocket stats.
    const after = await until(async () => {
      const s = await stats();
      return s.quality.labelled === before.quality.labelled + 1 ? s : undefined;
    });
    expect(after.quality.precision).toBe(1);
    await until(async () => ((await stats()).counts.labels.applied === before.counts.labels.applied + 1 ? true : undefined));
    await until(async () => ((await tileNumber(page, 'labelled')) === before.quality.labelled + 1 ? true : undefined));
    expect(await page.locator('[data-testid=precision]').innerText()).toContain('100');

    // The case left the open queue, and its audit trail names the analyst, the change and the note.
    const id = caseJson.cases[0]!.id;
    const one = (await (await fetch(`${base}/api/cases/${id}`)).json()) as { case: { status: string; updatedBy: string }; history: { actor: string; fromStatus: string | null; toStatus: string; note: string | null }[] };
    expect(one.case).toMatchObject({ status: 'confirmed_fraud', updatedBy: 'alice@bank' });
    expect(one.history.map((e) => [e.actor, e.fromStatus, e.toStatus, e.note])).toEqual([
      ['system', null, 'open', null],
      ['alice@bank', 'open', 'confirmed_fraud', 'customer denies the purchase'],
    ]);
    await until(async () => (!(await page.locator('[data-testid=review-row-tx]').allInnerTexts()).includes(tx) ? true : undefined));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'review-queue.png'), fullPage: true });
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  });
});
