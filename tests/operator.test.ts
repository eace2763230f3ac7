import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './utils/cli.js';
import { until } from './utils/poll.js';
import { openWebSocket, UpgradeRefused } from './utils/ws-client.js';

const CARD = 'CARDSECRET4111111111111111';
const HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO,CHANNEL';

/**
 * `fraudstream start` as an operator runs it (config file, env, flags), fed a replay whose card ids are recognisable,
 * with bad rows, bad requests and refused WebSockets that all carry the card id: the JSON log and the webhook
 * payloads must never contain it.
 */
describe('operator interfaces end to end: logs, webhook and config never show a card id', () => {
  it('start --config with a replay of a recognisable card, bad input and errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-ops-'));
    const rows = [HEADER];
    for (let i = 0; i < 20; i++) rows.push(`${i},2018-04-01 00:00:${String(10 + i).padStart(2, '0')},${CARD},6048,9500.00,${10 + i},0,0,0,POS`);
    rows.push(`100,2018-04-01 00:01:00,${CARD},6048,NaN,60,0,0,0,POS`, `101,2018-04-31 00:01:01,${CARD},6048,5,61,0,0,0,POS`);
    rows.push(`102,2018-04-01 00:01:02,${CARD},6048,5,62,0,0,0,${CARD}`);
    const csv = join(dir, 'cards.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);

    const bodies: string[] = [];
    const hook = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/slack`;

    const token = 'operator-test-token-0123456789';
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const config = join(dir, 'fraudstream.toml');
    // port 9 in the file is overridden by --port 0 (flags > file); log.level silent by FRAUDSTREAM_LOG_LEVEL (env > file).
    writeFileSync(
      config,
      [
        '[server]',
        'port = 9',
        `token_file = "${tokenFile}"`,
        '[source]',
        `from = "replay:${csv}"`,
        'tps = 200',
        '[engine]',
        'workers = 1',
        '[data]',
        `dir = "${join(dir, 'data')}"`,
        '[log]',
        'level = "silent"',
        '[webhook]',
        `url = "${hookUrl}"`,
        'interval_ms = 50',
        'max_per_minute = 6000',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'start', '--config', config, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FRAUDSTREAM_LOG_LEVEL: 'debug' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = Number((await until(() => /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out) ?? undefined, 60_000))[1]);
      const base = `http://127.0.0.1:${port}`;
      const auth = { Authorization: `Bearer ${token}` };
      // Bad requests that carry the card id, in bodies, paths, headers and a WebSocket's Origin.
      expect((await fetch(`${base}/api/thresholds`, { method: 'POST', headers: auth, body: `{"review":"${CARD}"}` })).status).toBe(400);
      expect((await fetch(`${base}/api/thresholds`, { method: 'POST', headers: auth, body: `{"${CARD}":1}` })).status).toBe(400);
      expect((await fetch(`${base}/api/generator`, { method: 'POST', headers: auth, body: `${CARD}` })).status).toBe(400);
      expect((await fetch(`${base}/api/${CARD}`, { headers: { 'X-Request-Id': CARD } })).status).toBe(404);
      expect((await fetch(`${base}/api/system/stop`, { method: 'POST', headers: { Authorization: `Bearer ${CARD}` } })).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${CARD}` } })).status).toBe(401);
      await expect(openWebSocket(port, '/ws', { Origin: `http://${CARD}.example` })).rejects.toBeInstanceOf(UpgradeRefused);

      const stats = await until(async () => {
        const s = (await (await fetch(`${base}/api/stats`)).json()) as { counts: { written: number; rejected: number; declined: number; review: number; inFlight: number } };
        return s.counts.written === 20 && s.counts.rejected === 3 && s.counts.inFlight === 0 ? s : undefined;
      }, 60_000);
      expect(stats.counts.declined + stats.counts.review).toBeGreaterThan(0);
      await until(() => (bodies.length > 0 ? true : undefined), 30_000);
      const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
      expect(metrics).toMatch(/^fraudstream_webhook_alerts_total\{outcome="sent"\} [1-9]/m);
      expect(metrics).toMatch(/^fraudstream_rejections_by_field_total\{field="[A-Za-z_]+"\} 1$/m);
      // The card-reference secret was generated once into the data dir, readable by its owner only.
      expect(statSync(join(dir, 'data', 'card-ref.key')).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await new Promise((resolve) => hook.close(resolve));
    }
    // The point of the test: the card id went in through every door and came out through none.
    expect(out).not.toContain(CARD);
    for (const b of bodies) expect(b).not.toContain(CARD);
    const lines = out.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(8);
    const requests = lines.map((l) => JSON.parse(l) as { level: number; msg: string; reqId?: string; route?: string; status?: number }).filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(8);
    for (const r of requests) expect(r.reqId).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(requests.some((r) => r.route === 'unmatched' && r.status === 404)).toBe(true);
    expect(bodies.some((b) => /card …[0-9a-f]{6}/.test(b))).toBe(true);
  }, 120_000);
});
