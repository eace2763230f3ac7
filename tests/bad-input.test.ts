import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLaws } from '@fraudstream/engine';
import { CsvReplay } from '@fraudstream/sources';
import { realEngine } from './utils/engine.js';
import { until } from './utils/poll.js';

const HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO,CHANNEL';

describe('bad input is rejected with the field named, counted, and never stalls the pipeline', () => {
  it('CSV replay: bad rows are counted by column while every good row is decided', async () => {
    const rows = [
      HEADER,
      '0,2018-04-01 00:00:19,61,6048,10.15,19,0,0,0,POS',
      ',2018-04-01 00:00:20,61,6048,10.15,20,0,0,0,POS', // missing id
      '2,2018-04-01 00:00:21,61,6048,NaN,21,0,0,0,POS', // non-finite amount
      '3,2018-04-01 00:00:22,61,6048,-4,22,0,0,0,POS', // negative amount
      '4,2018-04-31 00:00:23,61,6048,4,23,0,0,0,POS', // unparsable timestamp (April has 30 days)
      `5,2018-04-01 00:00:24,${'C'.repeat(100)},6048,4,24,0,0,0,POS`, // oversized card id
      '6,2018-04-01 00:00:25,61,6048,4,25,0,0,0,TELEPORT', // unknown channel
      `7,2018-04-01 00:00:26,61,6048,4,26,0,0,0,${'x'.repeat(5000)}`, // oversized line
      '8,2018-04-01 00:00:27,62,6049,250.00,27,0,1,1,ONLINE',
      '9,2018-04-01 00:00:28,63,6050,20.00,28,0,0,0,ATM',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'fs-bad-'));
    const file = join(dir, 'mixed.csv');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const engine = await realEngine({ workers: 1 });
    try {
      let ended = false;
      const replay = new CsvReplay({ sink: engine.sink, path: file, tps: 'max', labels: false, onEnd: () => (ended = true) });
      engine.addWriter(() => ({ transactions: replay.stats().generated, labels: replay.stats().labelsEmitted }));
      replay.start();
      await until(() => (ended ? true : undefined));
      await engine.drain();
      const s = engine.stats();
      expect(s.counts).toMatchObject({ written: 3, consumed: 3, scored: 3, fallback: 0, rejected: 7, inFlight: 0 });
      expect(checkLaws(s)).toEqual([]);
      expect(s.errors.rejectedByField).toEqual({
        TRANSACTION_ID: 1,
        TX_AMOUNT: 2,
        TX_DATETIME: 1,
        CUSTOMER_ID: 1,
        CHANNEL: 1,
        $: 1,
      });
      expect(replay.stats().rejected).toBe(7);
    } finally {
      await engine.close();
    }
  });

  it('JSON: malformed, oversized and invalid documents are rejected naming the field; valid ones are decided', async () => {
    const engine = await realEngine({ workers: 1 });
    try {
      const docs = [
        '{"id":"a","cardId":"c","terminalId":"t","amount":12.5,"timestamp":"2018-04-01T10:00:00Z"}',
        '{"id":"b","cardId":"c","terminalId":"t","amount":1e400,"timestamp":"2018-04-01T10:00:00Z"}',
        '{"id":"c","cardId":"c","terminalId":"t","amount":3,"timestamp":"not a date"}',
        '{"id":"d","cardId":"c","terminalId":"t","amount":3}',
        '{"cardId":"c","terminalId":"t","amount":3,"timestamp":0}',
        '{"id":"e","cardId":"c","terminalId":"t","amount":3,"timestamp":0,"channel":"FAX"}',
        '{"id":"f",',
        JSON.stringify({ id: 'g', cardId: 'c', terminalId: 't', amount: 3, timestamp: 0, note: 'x'.repeat(5000) }),
        '{"id":"h","cardId":"c","terminalId":"t","amount":7,"timestamp":1522576800000,"channel":"ONLINE"}',
      ];
      const fields: string[] = [];
      for (const doc of docs) {
        const r = engine.submitJson(doc);
        if (r.state === 'rejected') fields.push(r.error.field);
      }
      expect(fields).toEqual(['amount', 'timestamp', 'timestamp', 'id', 'channel', '$', '$']);
      await engine.drain();
      expect(engine.stats().counts).toMatchObject({ written: 2, consumed: 2, scored: 2, fallback: 0, rejected: 7, inFlight: 0 });
      expect(checkLaws(engine.stats())).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
