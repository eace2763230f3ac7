import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '@fraudstream/server';
import { CardRefHasher, DecisionLog, decisionLogDir, loadOrCreateSecret, type DecisionInput } from '@fraudstream/store';
import { createSystem } from '@fraudstream/system';
import { until } from '../utils/poll.js';
import { DASHBOARD_DIST, launchBrowser, openPage, SCREENSHOT_DIR } from './browser.js';

// The dashboard's alert history pages back through the decision log of the server's data dir, in chromium against
// the real server and system. The log holds 300 decisions written by the store's real DecisionLog (the way the
// engine's log wiring writes them), far more alerts than one page.

let browser: Browser;
let server: RunningServer;
let base: string;
let dataDir: string;
let log: DecisionLog;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fraudstream-history-'));
  const hasher = new CardRefHasher(loadOrCreateSecret(dataDir));
  log = DecisionLog.open(decisionLogDir(dataDir), { blockRecords: 64 });
  const rows: DecisionInput[] = [];
  for (let k = 0; k < 300; k++) {
    const decision = k % 3 === 0 ? 'REVIEW' : k % 5 === 0 ? 'DECLINE' : 'APPROVE';
    rows.push({ transactionId: `h${k}`, eventTimeMs: Date.UTC(2018, 3, 1) + k * 60_000, score: decision === 'APPROVE' ? 0.1 : 0.8, decision, reasons: decision === 'APPROVE' ? [] : ['AMOUNT_HIGH'], modelVersion: 'm1', cardRef: hasher.refOf(`card-${k % 11}`) });
  }
  log.append(rows);
  log.flushNow();
  browser = await launchBrowser();
  const system = await createSystem({ source: { kind: 'generator', tps: 100, seed: 5 }, workers: 1, dataDir });
  server = await startServer({ system, port: 0, staticDir: DASHBOARD_DIST });
  base = `http://127.0.0.1:${server.port}`;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  log?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const shownIds = (page: Page): Promise<string[]> => page.locator('[data-testid=history-tx]').allInnerTexts();
/** The transaction ids of pages 1..n of the log's alerts with these decisions, as the store's own query gives them. */
function expectedPages(decisions: ('REVIEW' | 'DECLINE')[], n: number): string[][] {
  const pages: string[][] = [];
  let before: string | undefined;
  for (let i = 0; i < n; i++) {
    const p = log.query({ decisions, limit: 25, ...(before === undefined ? {} : { before }) });
    pages.push(p.rows.map((r) => r.transactionId));
    before = p.next ?? undefined;
  }
  return pages;
}
/** Waits until the history table shows exactly `ids`. */
const shows = (page: Page, ids: string[]): Promise<true> => until(async () => (JSON.stringify(await shownIds(page)) === JSON.stringify(ids) ? true : undefined));

describe('the alert history in chromium', () => {
  it('pages back through the decision log, newer and older, following the REVIEW filter', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    const all = expectedPages(['REVIEW', 'DECLINE'], 3);
    expect(all[2]).toHaveLength(25);

    await page.click('[data-testid=history-newest]');
    await shows(page, all[0]!);
    await page.click('[data-testid=history-older]');
    await shows(page, all[1]!);
    await page.click('[data-testid=history-older]');
    await shows(page, all[2]!);
    expect(await page.locator('[data-testid=history-page]').innerText()).toBe('page 3');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'alert-history.png'), fullPage: true });
    await page.click('[data-testid=history-newer]');
    await shows(page, all[1]!);

    // The REVIEW filter starts again from the newest REVIEW alerts and pages back through them only.
    const reviews = expectedPages(['REVIEW'], 2);
    await page.click('[data-testid=filter-REVIEW]');
    await shows(page, reviews[0]!);
    await page.click('[data-testid=history-older]');
    await shows(page, reviews[1]!);
    expect(await page.locator('[data-testid=history-row] .badge').allInnerTexts()).toEqual(Array(25).fill('REVIEW'));
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  });
});
