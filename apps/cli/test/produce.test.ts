import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ensureLocalBroker, ensureTopics } from '@fraudstream/kafka';
import { kcatRead } from '@fraudstream/kafka/kcat';
import { validateTransaction } from '@fraudstream/schema';
import { beforeEach, describe, expect, it } from 'vitest';

// `fraudstream produce` against the real broker of scripts/kafka.sh (started here when it is not running; a failure
// to start fails the tests), read back by Debian's kcat, an independent client.
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let brokers = '';
let started: Promise<string> | undefined;

// In beforeEach, not beforeAll: a broker that cannot start then fails every test instead of marking them skipped.
beforeEach(async () => {
  started ??= ensureLocalBroker();
  brokers = await started;
}, 300_000);

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}


describe('fraudstream produce', () => {
  it('sends N simulated transactions keyed by card id and their labels, all read back by kcat', async () => {
    const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const topic = `test-produce-${suffix}`;
    const labels = `test-produce-labels-${suffix}`;
    await ensureTopics(brokers, [
      { name: topic, partitions: 4 },
      { name: labels, partitions: 2 },
    ]);
    const r = cli(['produce', '--brokers', brokers, '--topic', topic, '--labels-topic', labels, '--count', '2500', '--tps', 'max', '--customers', '300', '--seed', '9']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^produced 2500 transactions to ${topic} and 2500 labels to ${labels} in `));
    const txs = kcatRead(brokers, topic);
    expect(txs).toHaveLength(2500);
    const ids = new Set<string>();
    const cardOf = new Map<string, string>();
    for (const m of txs) {
      const v = validateTransaction(JSON.parse(m.value));
      if (!v.ok) throw new Error(`invalid message: ${v.error.message}`);
      expect(m.key).toBe(v.value.cardId);
      ids.add(v.value.id);
      cardOf.set(v.value.id, v.value.cardId);
    }
    expect(ids.size).toBe(2500);
    const ls = kcatRead(brokers, labels).map((m) => ({ key: m.key, ...(JSON.parse(m.value) as { id: string; fraud: boolean }) }));
    expect(ls).toHaveLength(2500);
    // Labels are keyed by the card id of their transaction: they land in its partition number (co-partitioned).
    expect(ls.every((l) => l.key === cardOf.get(l.id) && typeof l.fraud === 'boolean')).toBe(true);
    expect(new Set(ls.map((l) => l.id))).toEqual(ids);
  }, 180_000);

  it('paces at --tps and replays a CSV file with --source replay:FILE', async () => {
    const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const topic = `test-replay-${suffix}`;
    await ensureTopics(brokers, [{ name: topic, partitions: 2 }]);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/fs-produce-`);
    const csv = `${dir}/x.csv`;
    writeFileSync(
      csv,
      'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n' +
        '1,2018-04-01 00:00:10,7,70,12.50,0\n' +
        '2,2018-04-01 00:00:20,8,80,-3,0\n' + // negative amount: rejected, counted, not sent
        '3,2018-04-01 00:00:30,7,71,99.99,1\n',
    );
    const r = cli(['produce', '--brokers', brokers, '--topic', topic, '--no-labels', '--source', `replay:${csv}`, '--tps', '50']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('produced 2 transactions');
    expect(r.stdout).toContain('1 input rows rejected: {"TX_AMOUNT":1}');
    const txs = kcatRead(brokers, topic).map((m) => JSON.parse(m.value) as { id: string; cardId: string; amount: number });
    expect(txs.map((t) => t.id).sort()).toEqual(['1', '3']);
    expect(txs.find((t) => t.id === '3')).toMatchObject({ cardId: '7', amount: 99.99 });
  }, 120_000);

  it('names the bad flag and exits 2', () => {
    for (const [args, message] of [
      [['produce', '--topic', 't'], /--brokers is required/],
      [['produce', '--brokers', brokers, '--topic', 't', '--tps', '0'], /--tps must be/],
      [['produce', '--brokers', brokers, '--topic', 't', '--source', 'kafka'], /--source must be generator or replay:FILE/],
      [['produce', '--brokers', brokers, '--topic', 't', '--no-labels', '--labels-topic', 'x'], /exclude each other/],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const help = cli(['produce', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: fraudstream produce --brokers HOST:PORT --topic T');
  }, 60_000);

  it('fails with exit 1 and the broker error for a topic that does not exist', () => {
    const r = cli(['produce', '--brokers', brokers, '--topic', `test-never-created-${Date.now()}`, '--count', '10', '--no-labels']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fraudstream produce: /);
  }, 120_000);
});
