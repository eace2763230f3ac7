import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../src/index.js';
import { WebhookSink, type WebhookCounts, type WebhookMessage } from '../src/webhook-sink.js';
import { waitFor } from './utils/real-system.js';

/** A real node:http receiver on 127.0.0.1 answering each POST with `statuses[n]` (200 once they run out). */
async function receiver(statuses: number[] = []): Promise<{ url: string; bodies: WebhookMessage[]; server: Server }> {
  const bodies: WebhookMessage[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookMessage);
      res.statusCode = statuses[n++] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, server };
}

const servers: Server[] = [];
const sinks: WebhookSink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function alert(i: number): DecisionEvent {
  return {
    id: `tx-${i}`,
    cardRef: '…a1b2c3',
    terminalRef: '…0f0f0f',
    amount: 9_000 + i,
    timestampMs: Date.UTC(2018, 3, 1),
    score: 0.95,
    decision: 'DECLINE',
    reasons: ['AMOUNT_HIGH'],
    latencyUs: 500,
    modelVersion: 'test',
  };
}

function sink(url: string, options: Partial<ConstructorParameters<typeof WebhookSink>[0]> = {}): WebhookSink {
  const s = new WebhookSink({ url, intervalMs: 20, maxPerMinute: 60_000, backoffMs: 5, ...options });
  sinks.push(s);
  return s;
}

const settled = (s: WebhookSink) => (): boolean => {
  const c: WebhookCounts = s.counts();
  return c.queued === 0 && c.alertsSent + c.alertsFailed + c.alertsDropped === c.alertsIn;
};

describe('WebhookSink against a real HTTP receiver', () => {
  it('batches alerts into Slack-compatible messages of at most `batch` alerts', async () => {
    const r = await receiver();
    servers.push(r.server);
    const s = sink(r.url, { batch: 2 });
    s.offer([alert(1), alert(2), alert(3), alert(4), alert(5)]);
    await waitFor(settled(s));
    expect(s.counts()).toMatchObject({ alertsIn: 5, alertsSent: 5, messagesSent: 3, alertsFailed: 0, alertsDropped: 0 });
    expect(r.bodies.map((b) => b.text)).toEqual([
      'Fraudstream: 2 alerts (2 DECLINE)',
      'Fraudstream: 2 alerts (2 DECLINE)',
      'Fraudstream: 1 alert (1 DECLINE)',
    ]);
    expect(r.bodies[0]?.blocks?.[0]?.text.text).toContain('card …a1b2c3');
  });

  it('retries a receiver that fails twice, then delivers once', async () => {
    const r = await receiver([500, 503]);
    servers.push(r.server);
    const s = sink(r.url, { retries: 3 });
    s.offer([alert(1)]);
    await waitFor(settled(s));
    expect(s.counts()).toMatchObject({ messagesSent: 1, alertsSent: 1, retries: 2, messagesFailed: 0 });
    expect(r.bodies).toHaveLength(3);
  });

  it('counts the alerts of a message given up when the receiver is down', async () => {
    const r = await receiver();
    await new Promise((resolve) => r.server.close(resolve));
    const s = sink(r.url, { retries: 2 });
    s.offer([alert(1), alert(2)]);
    await waitFor(settled(s));
    expect(s.counts()).toMatchObject({ messagesFailed: 1, alertsFailed: 2, retries: 2, alertsSent: 0 });
  });

  it('does not retry a 4xx refusal', async () => {
    const r = await receiver([404]);
    servers.push(r.server);
    const s = sink(r.url, { retries: 3 });
    s.offer([alert(1)]);
    await waitFor(settled(s));
    expect(s.counts()).toMatchObject({ messagesFailed: 1, retries: 0 });
  });

  it('bounds its queue and counts the overflow', async () => {
    const r = await receiver();
    servers.push(r.server);
    const s = sink(r.url, { queue: 3, batch: 10 });
    s.offer([alert(1), alert(2), alert(3), alert(4), alert(5)], 7);
    await waitFor(settled(s));
    expect(s.counts()).toMatchObject({ alertsIn: 5, alertsDropped: 2, alertsSent: 3, alertsOmitted: 7 });
    expect(r.bodies[0]?.text).toBe('Fraudstream: 3 alerts (3 DECLINE), 7 more not listed');
  });

  it('sends at most max_per_minute messages: a second message waits for its turn', async () => {
    const r = await receiver();
    servers.push(r.server);
    const s = sink(r.url, { batch: 1, maxPerMinute: 1 });
    s.offer([alert(1), alert(2)]);
    await waitFor(() => s.counts().messagesSent === 1);
    // The next turn is a minute away; the test only checks that it has not been taken early.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(r.bodies).toHaveLength(1);
    expect(s.counts().queued).toBe(1);
  });

  it('reports alerts the engine left out even when none is listed', async () => {
    const r = await receiver();
    servers.push(r.server);
    const s = sink(r.url);
    s.offer([], 12);
    await waitFor(() => r.bodies.length === 1);
    expect(r.bodies[0]).toEqual({ text: 'Fraudstream: 12 alerts not listed (decided beyond the per-update bound)' });
  });

  it('refuses bad options naming the key', () => {
    expect(() => new WebhookSink({ url: 'ftp://x' })).toThrow(/webhook\.url/);
    expect(() => new WebhookSink({ url: 'http://127.0.0.1:1/', batch: 0 })).toThrow(/webhook\.batch/);
  });
});
