import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/args.js';
import { ConfigError, loadConfigFile, readTokenFile, resolveSettings } from '../src/config.js';
import { SETTINGS } from '../src/config-schema.js';
import { help as startHelp } from '../src/commands/start.js';
import { help as kafkaHelp } from '../src/commands/start-kafka.js';

const dir = mkdtempSync(join(tmpdir(), 'fs-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const main = new URL('../dist/main.js', import.meta.url).pathname;

describe('config file (TOML), env and flags: one schema', () => {
  it('reads typed keys by table and resolves flags > env > file > defaults', () => {
    const path = file('ok.toml', '[server]\nport = 9000\nhost = "127.0.0.2"\n[engine]\nreview = 0.4\n[source]\ntps = 500\n');
    const values = loadConfigFile(path);
    expect(values.get('server.port')).toBe(9000);
    const settings = resolveSettings({
      flags: { port: '7000' },
      env: { FRAUDSTREAM_HOST: '127.0.0.3', FRAUDSTREAM_TPS: '800' },
      file: { path, values },
    });
    expect(settings.get('server.port')).toEqual({ value: 7000, origin: 'flag', from: '--port' });
    expect(settings.get('server.host')).toEqual({ value: '127.0.0.3', origin: 'env', from: 'FRAUDSTREAM_HOST' });
    expect(settings.get('source.tps')?.value).toBe(800);
    expect(settings.get('engine.review')).toEqual({ value: 0.4, origin: 'file', from: path });
    expect(settings.get('log.level')).toEqual({ value: 'info', origin: 'default', from: 'default' });
    expect(resolveSettings({ flags: { 'no-start': true }, env: {} }).get('source.autostart')?.value).toBe(false);
    expect(resolveSettings({ flags: { ephemeral: true }, env: {} }).get('data.ephemeral')).toEqual({ value: true, origin: 'flag', from: '--ephemeral' });
    expect(resolveSettings({ flags: { 'no-data-dir': true }, env: {} }).get('data.ephemeral')?.from).toBe('--no-data-dir');
    expect(resolveSettings({ flags: {}, env: { FRAUDSTREAM_EPHEMERAL: 'true' } }).get('data.ephemeral')?.value).toBe(true);
    expect(resolveSettings({ flags: {}, env: {} }).get('data.checkpoint_interval_s')?.value).toBe(10);
    // HOST and PORT stay accepted as aliases, below their FRAUDSTREAM_ names.
    expect(resolveSettings({ flags: {}, env: { PORT: '81', FRAUDSTREAM_PORT: '82' } }).get('server.port')?.value).toBe(82);
  });

  it('names an unknown table or key, with the closest known key', () => {
    expect(() => loadConfigFile(file('k.toml', '[server]\nhots = "x"\n'))).toThrow(/unknown key 'server.hots' \(did you mean 'server.host'\?\)/);
    expect(() => loadConfigFile(file('t.toml', '[sever]\nhost = "x"\n'))).toThrow(/unknown key 'sever'.*did you mean 'server'/);
    expect(() => loadConfigFile(file('top.toml', 'port = 1\n'))).toThrow(ConfigError);
  });

  it('names an invalid value and says why, the same for file, env and flag', () => {
    expect(() => loadConfigFile(file('p.toml', '[server]\nport = "80"\n'))).toThrow(/server\.port must be an integer from 0 to 65535/);
    expect(() => loadConfigFile(file('r.toml', '[engine]\nreview = 1.5\n'))).toThrow(/engine\.review must be a number from 0 to 1/);
    expect(() => loadConfigFile(file('u.toml', '[webhook]\nurl = "ftp://x"\n'))).toThrow(/webhook\.url must be an http or https URL/);
    expect(() => loadConfigFile(file('bad.toml', '[server\nport = 1\n'))).toThrow(/not valid TOML/);
    expect(() => resolveSettings({ flags: {}, env: { FRAUDSTREAM_PORT: 'http' } })).toThrow(/env FRAUDSTREAM_PORT: server\.port must be an integer/);
    expect(() => resolveSettings({ flags: { port: '-1' }, env: {} })).toThrow(/--port must be an integer from 0 to 65535 \(config key server\.port\)/);
    expect(() => resolveSettings({ flags: { port: '-1' }, env: {} })).toThrow(UsageError);
    expect(() => resolveSettings({ flags: { review: '0.9', decline: '0.5' }, env: {} })).toThrow(/engine\.review .* must not be above engine\.decline/);
    expect(() => resolveSettings({ flags: { token: 'abc', 'token-file': '/x' }, env: {} })).toThrow(/both set/);
    expect(() => resolveSettings({ flags: { tps: 'max' }, env: {} })).toThrow(/max only for a replay/);
    expect(() => resolveSettings({ flags: { 'commit-interval-ms': '5' }, env: {} })).toThrow(/--commit-interval-ms must be an integer from 10 to 60000 \(config key kafka\.commit_interval_ms\)/);
    // A secret value is never echoed in the error.
    expect(() => resolveSettings({ flags: {}, env: { FRAUDSTREAM_CARD_REF_SECRET: 'not-hex-secret' } })).toThrow(
      /^env FRAUDSTREAM_CARD_REF_SECRET: security\.card_ref_secret must be an even number of hex digits/,
    );
  });

  it('takes the token from FRAUDSTREAM_TOKEN, and documents every flag of the schema in start --help', () => {
    expect(resolveSettings({ flags: {}, env: { FRAUDSTREAM_TOKEN: 'from-env-token' } }).get('server.token')).toEqual({
      value: 'from-env-token',
      origin: 'env',
      from: 'FRAUDSTREAM_TOKEN',
    });
    // The kafka.* flags are documented in 'start --source kafka --help'.
    const undocumented = SETTINGS.filter(
      (s) => s.flag !== undefined && !s.flag.startsWith('webhook-') && !(s.key.startsWith('kafka.') ? kafkaHelp : startHelp).includes(`--${s.flag}`),
    );
    expect(undocumented.map((s) => s.flag)).toEqual([]);
  });

  it('reads the token from the first line of a token file', () => {
    expect(readTokenFile(file('tok', 's3cret-token\nignored\n'), 'x')).toBe('s3cret-token');
    expect(() => readTokenFile(file('empty', '\n'), '--token-file')).toThrow(/--token-file: server\.token_file must hold the token/);
    expect(() => readTokenFile(join(dir, 'missing'), 'env FRAUDSTREAM_TOKEN_FILE')).toThrow(/server\.token_file cannot be read \(ENOENT\)/);
  });
});

describe('fraudstream config check FILE', () => {
  it('exits 0 on a valid file and 1 naming the unknown or invalid key', () => {
    const ok = spawnSync(process.execPath, [main, 'config', 'check', file('c-ok.toml', '[server]\nport = 8081\n[log]\nlevel = "warn"\n')], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('ok (2 keys set)');
    const unknown = spawnSync(process.execPath, [main, 'config', 'check', file('c-bad.toml', '[webhook]\nurll = "http://x"\n')], { encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("unknown key 'webhook.urll' (did you mean 'webhook.url'?)");
    const invalid = spawnSync(process.execPath, [main, 'config', 'check', file('c-inv.toml', '[source]\ntps = 0\n')], { encoding: 'utf8' });
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('source.tps must be an integer from 1 to 5000000, or max');
    expect(spawnSync(process.execPath, [main, 'config', 'nope'], { encoding: 'utf8' }).status).toBe(2);
    const help = spawnSync(process.execPath, [main, 'config', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toContain('webhook.max_per_minute');
  }, 120_000);
});
