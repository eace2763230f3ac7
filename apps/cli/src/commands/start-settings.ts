import type { ScoringOptions } from '@fraudstream/server';
import { loadConfigFile, readTokenFile, resolveSettings, type Resolved } from '../config.js';

/** The `/v1` scoring options (`startServer`'s `scoring`) from the resolved settings; shared with the Kafka mode. */
export function scoringOptions(settings: ReadonlyMap<string, Resolved>): ScoringOptions {
  const get = (key: string): number | undefined => settings.get(key)?.value as number | undefined;
  const out: ScoringOptions = {};
  const batch = get('scoring.batch');
  const linger = get('scoring.linger_us');
  const deadline = get('scoring.deadline_ms');
  const bytes = get('scoring.bulk_max_bytes');
  const lines = get('scoring.bulk_max_lines');
  const inline = get('scoring.inline_max_batch');
  if (batch !== undefined) out.maxBatch = batch;
  if (linger !== undefined) out.lingerUs = linger;
  if (deadline !== undefined) out.deadlineMs = deadline;
  if (bytes !== undefined) out.maxBulkBytes = bytes;
  if (lines !== undefined) out.maxBulkLines = lines;
  if (inline !== undefined) out.inlineMaxBatch = inline;
  return out;
}

/** The bearer token of the resolved settings (`server.token`, or the first line of `server.token_file`). */
export function tokenOf(settings: ReadonlyMap<string, Resolved>): string | undefined {
  const tokenFile = settings.get('server.token_file');
  return tokenFile === undefined ? (settings.get('server.token')?.value as string | undefined) : readTokenFile(tokenFile.value as string, tokenFile.from);
}

/** Reads `--config` (when given) and resolves every setting of `start` from the parsed flags, the environment and it. */
export function settingsOf(a: Record<string, string | boolean | undefined>, env: Readonly<Record<string, string | undefined>>): Map<string, Resolved> {
  const configPath = typeof a['config'] === 'string' ? a['config'] : undefined;
  const file = configPath === undefined ? undefined : { path: configPath, values: loadConfigFile(configPath) };
  return resolveSettings({ flags: a, env, ...(file === undefined ? {} : { file }) });
}
