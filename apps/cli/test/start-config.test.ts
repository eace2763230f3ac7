import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalBroker, ensureTopics } from '@fraudstream/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../src/args.js';
import { ConfigError, loadConfigFile, resolveSettings } from '../src/config.js';
import { scoringOptions } from '../src/commands/start-settings.js';
import { MAIN, startInstance, unique, type Instance } from './kafka-helpers.js';

// The /v1 scoring keys (flags, env, [scoring] in the file) and `start --source kafka` reading --config like `start`.
const dir = mkdtempSync(join(tmpdir(), 'fs-start-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const running: Instance[] = [];
afterEach(async () => {
  for (const i of running.splice(0)) {
    if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    await i.exited;
  }
});

describe('the scoring options as settings', () => {
  it('reads them from flags, env and the [scoring] table, with precedence, into startServer options', () => {
    const path = file('s.toml', '[scoring]\nbatch = 64\nlinger_us = 200\ndeadline_ms = 20\nbulk_max_bytes = 4096\nbulk_max_lines = 10\ninline_max_batch = 0\n');
    const values = loadConfigFile(path);
    expect(scoringOptions(resolveSettings({ flags: {}, env: {}, file: { path, values } }))).toEqual({
      maxBatch: 64,
      lingerUs: 200,
      deadlineMs: 20,
      maxBulkBytes: 4096,
      maxBulkLines: 10,
      inlineMaxBatch: 0,
    });
    const s = resolveSettings({ flags: { 'score-batch': '8', 'bulk-max-lines': '5' }, env: { FRAUDSTREAM_SCORE_DEADLINE_MS: '7' }, file: { path, values } });
    expect(scoringOptions(s)).toEqual({ maxBatch: 8, lingerUs: 200, deadlineMs: 7, maxBulkBytes: 4096, maxBulkLines: 5, inlineMaxBatch: 0 });
    expect(s.get('scoring.batch')?.from).toBe('--score-batch');
    // The defaults are the server's own.
    expect(scoringOptions(resolveSettings({ flags: {}, env: {} }))).toEqual({ maxBatch: 256, lingerUs: 0, deadlineMs: 50, maxBulkBytes: 64 * 1024 * 1024, maxBulkLines: 1_000_000, inlineMaxBatch: 64 });
    expect(() => resolveSettings({ flags: { 'score-inline-max': '9000' }, env: {} })).toThrow(/--score-inline-max must be an integer from 0 to 8192/);
  });

  it('names an invalid or unknown scoring key, wherever it was set', () => {
    expect(() => loadConfigFile(file('b0.toml', '[scoring]\nbatch = 0\n'))).toThrow(/scoring\.batch must be an integer from 1 to 8192/);
    expect(() => loadConfigFile(file('bx.toml', '[scoring]\nbatchh = 10\n'))).toThrow(/unknown key 'scoring\.batchh' \(did you mean 'scoring\.batch'\?\)/);
    expect(() => loadConfigFile(file('bl.toml', '[scoring]\nlinger_us = -1\n'))).toThrow(/scoring\.linger_us must be an integer/);
    expect(() => resolveSettings({ flags: { 'score-deadline-ms': '1.5' }, env: {} })).toThrow(/--score-deadline-ms must be an integer from 0 to 60000 \(config key scoring\.deadline_ms\)/);
    expect(() => resolveSettings({ flags: {}, env: { FRAUDSTREAM_BULK_MAX_BYTES: '12' } })).toThrow(/env FRAUDSTREAM_BULK_MAX_BYTES: scoring\.bulk_max_bytes must be an integer from 1024/);
    const check = spawnSync(process.execPath, [MAIN, 'config', 'check', file('c.toml', '[scoring]\ndeadline_ms = "soon"\n')], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('scoring.deadline_ms must be an integer from 0 to 60000');
  }, 60_000);

  it('refuses a kafka flag on a non-kafka start and labels switched off with a labels topic', () => {
    expect(() => resolveSettings({ flags: { brokers: '127.0.0.1:9092' }, env: {} })).toThrow(UsageError);
    expect(() => resolveSettings({ flags: { brokers: '127.0.0.1:9092' }, env: {} })).toThrow(/--brokers is for --source kafka \(config key kafka\.brokers\)/);
    // The same key in a file is unused by a generator start, not an error.
    const path = file('k.toml', '[kafka]\nbrokers = "127.0.0.1:9092"\n');
    expect(resolveSettings({ flags: {}, env: {}, file: { path, values: loadConfigFile(path) } }).get('kafka.brokers')?.value).toBe('127.0.0.1:9092');
    expect(() => resolveSettings({ flags: { source: 'kafka', 'no-labels': true, 'labels-topic': 'l' }, env: {} })).toThrow(ConfigError);
  });
});

describe('start --source kafka --config FILE', () => {
  it('takes its settings from the file: an invalid key, a setting of another mode, missing brokers', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [MAIN, 'start', ...args], { encoding: 'utf8', timeout: 60_000 });
    const bad = run(['--source', 'kafka', '--brokers', '127.0.0.1:1', '--config', file('kb.toml', '[scoring]\nbatch = 100000\n')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('scoring.batch must be an integer from 1 to 8192');
    const other = run(['--config', file('ko.toml', '[source]\nfrom = "kafka"\ntps = 50\n[kafka]\nbrokers = "127.0.0.1:1"\n')]);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('source.tps');
    expect(other.stderr).toContain('does not apply to --source kafka');
    const none = run(['--source', 'kafka', '--config', file('kn.toml', '[server]\nport = 0\n')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--brokers is required with --source kafka (config key kafka.brokers)');
  }, 120_000);

  it('serves /v1/score with the scoring options of the file, brokers and topics from the file too', async () => {
    const brokers = await ensureLocalBroker();
    const topic = unique('cfg-tx');
    await ensureTopics(brokers, [{ name: topic, partitions: 1 }]);
    const config = file(
      'kafka.toml',
      `[kafka]\nbrokers = "${brokers}"\ntopic = "${topic}"\nlabels = false\ndecisions_topic = "${unique('cfg-dec')}"\n[scoring]\ndeadline_ms = 0\n`,
    );
    const instance = await startInstance(['--config', config]);
    running.push(instance);
    const r = await fetch(`http://127.0.0.1:${instance.port}/v1/score`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 'cfg-1', cardId: 'card-cfg', terminalId: 'term-cfg', amount: 10, timestamp: 1767225600000 }),
    });
    expect(r.status).toBe(200);
    // deadline_ms = 0 answers the documented fallback at once: the file reached the server.
    expect(await r.json()).toMatchObject({ id: 'cfg-1', decision: 'REVIEW', reasons: ['DEADLINE'], outcome: 'deadline' });
    const stats = (await (await fetch(`http://127.0.0.1:${instance.port}/api/stats`)).json()) as { kafka: { topic: string } };
    expect(stats.kafka.topic).toBe(topic);
  }, 300_000);
});
