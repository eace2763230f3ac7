import { readFileSync, statSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { UsageError } from './args.js';
import { SETTINGS, SETTINGS_BY_KEY, SettingValueError, type Setting } from './config-schema.js';

/** Largest config file read, bytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** A bad config file, environment variable or flag value: the message names the key and where it was set. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Where a value came from, highest precedence first. */
export type Origin = 'flag' | 'env' | 'file' | 'default';

/** One resolved setting. */
export interface Resolved {
  value: unknown;
  origin: Origin;
  /** `--port`, `FRAUDSTREAM_PORT`, `FILE` or `default`. */
  from: string;
}

/** Closest known key to `key` (for "did you mean"), by edit distance, when it is close enough. */
function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function parseWith(setting: Setting, value: unknown, text: boolean, where: string): unknown {
  try {
    return setting.parse(value, text);
  } catch (error) {
    if (!(error instanceof SettingValueError)) throw error;
    // The value itself is not repeated: it may be a secret (a token) or a path the user can see anyway.
    throw new ConfigError(`${where}: ${setting.key} ${error.message}`);
  }
}

/**
 * Reads and validates a TOML config file: every table and key must be in the schema (an unknown one is an error
 * naming it, with the closest known key), and every value must pass the key's parser. Returns values by `table.key`.
 */
export function loadConfigFile(path: string): Map<string, unknown> {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) throw new ConfigError(`${path}: larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ConfigError(`${path}: not valid TOML: ${first}`);
  }
  const keys = SETTINGS.map((s) => s.key);
  const tables = [...new Set(keys.map((k) => k.split('.')[0] as string))];
  const out = new Map<string, unknown>();
  for (const [table, body] of Object.entries(doc)) {
    if (!tables.includes(table)) {
      const hint = suggest(table, tables);
      throw new ConfigError(`${path}: unknown key '${table}' (tables are ${tables.join(', ')}${hint === undefined ? '' : `; did you mean '${hint}'?`})`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Date) {
      throw new ConfigError(`${path}: '${table}' must be a table ([${table}])`);
    }
    for (const [name, value] of Object.entries(body)) {
      const key = `${table}.${name}`;
      const setting = SETTINGS_BY_KEY.get(key);
      if (setting === undefined) {
        const hint = suggest(key, keys);
        throw new ConfigError(`${path}: unknown key '${key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`);
      }
      out.set(key, parseWith(setting, value, false, path));
    }
  }
  return out;
}

/** Inputs of {@link resolveSettings}. */
export interface SettingSources {
  /** Parsed flags of `start` (strings, and `no-start` as a boolean). */
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
  /** The config file's values and its path, when `--config` was given. */
  file?: { path: string; values: ReadonlyMap<string, unknown> };
}

/** Resolves every setting with precedence flags > environment > file > defaults. */
export function resolveSettings(sources: SettingSources): Map<string, Resolved> {
  const out = new Map<string, Resolved>();
  for (const setting of SETTINGS) {
    if (setting.switchValue !== undefined) {
      const given = [setting.flag, ...(setting.flagAliases ?? [])].find((f) => f !== undefined && sources.flags[f] === true);
      if (given !== undefined) {
        out.set(setting.key, { value: setting.switchValue, origin: 'flag', from: `--${given}` });
        continue;
      }
    }
    const flag = setting.flag === undefined || setting.switchValue !== undefined ? undefined : sources.flags[setting.flag];
    if (typeof flag === 'string') {
      let value: unknown;
      try {
        value = setting.parse(flag, true);
      } catch (error) {
        if (!(error instanceof SettingValueError)) throw error;
        // A bad flag is a usage error (exit 2, with the command's help) naming the flag, like every command's flags.
        throw new UsageError(`--${setting.flag} ${error.message} (config key ${setting.key})`);
      }
      out.set(setting.key, { value, origin: 'flag', from: `--${setting.flag}` });
      continue;
    }
    const envName = setting.env.find((name) => sources.env[name] !== undefined && sources.env[name] !== '');
    if (envName !== undefined) {
      out.set(setting.key, { value: parseWith(setting, sources.env[envName], true, `env ${envName}`), origin: 'env', from: envName });
      continue;
    }
    if (sources.file?.values.has(setting.key) === true) {
      out.set(setting.key, { value: sources.file.values.get(setting.key), origin: 'file', from: sources.file.path });
      continue;
    }
    if (setting.default !== undefined) out.set(setting.key, { value: setting.default, origin: 'default', from: 'default' });
  }
  checkTogether(out);
  return out;
}

/** Checks between keys: thresholds in order, one way to give the token, `max` only for a replay. */
function checkTogether(settings: ReadonlyMap<string, Resolved>): void {
  const review = settings.get('engine.review');
  const decline = settings.get('engine.decline');
  if (review !== undefined && decline !== undefined && (review.value as number) > (decline.value as number)) {
    throw new ConfigError(`engine.review (${review.from}) must not be above engine.decline (${decline.from})`);
  }
  const token = settings.get('server.token');
  const tokenFile = settings.get('server.token_file');
  if (token !== undefined && tokenFile !== undefined) {
    throw new ConfigError(`server.token (${token.from}) and server.token_file (${tokenFile.from}) are both set; set one`);
  }
  const from = settings.get('source.from');
  const tps = settings.get('source.tps');
  if (tps?.value === 'max' && from?.value === 'generator') {
    throw new ConfigError(`source.tps (${tps.from}) may be max only for a replay source`);
  }
  const labels = settings.get('kafka.labels');
  const labelsTopic = settings.get('kafka.labels_topic');
  if (labels?.value === false && labelsTopic !== undefined) {
    throw new ConfigError(`kafka.labels_topic (${labelsTopic.from}) and kafka.labels = false (${labels.from}) exclude each other`);
  }
  // A kafka flag on a non-kafka start is a mistake on the command line; the keys in a file or the environment may
  // serve another deployment and are simply unused.
  if (from?.value !== 'kafka') {
    const stray = [...settings].find(([key, r]) => key.startsWith('kafka.') && r.origin === 'flag');
    if (stray !== undefined) throw new UsageError(`${stray[1].from} is for --source kafka (config key ${stray[0]}); source.from is ${String(from?.value)} (${from?.from})`);
  }
}

/** Reads the token file's first line; an empty or unreadable file is an error naming `server.token_file`. */
export function readTokenFile(path: string, from: string): string {
  let text: string;
  try {
    if (statSync(path).size > 64 * 1024) throw new ConfigError(`${from}: server.token_file ${path} is larger than 64 KiB`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${from}: server.token_file cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (!/^[\x21-\x7e]{1,4096}$/.test(token)) throw new ConfigError(`${from}: server.token_file must hold the token on its first line (printable ASCII, no spaces)`);
  return token;
}
