import { installSignalHandlers, startServer, type FraudSystem, type Logger, type RunningServer, type ServerOptions, type ScoringOptions } from '@fraudstream/server';
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

/**
 * `startServer`'s options other than the system from the resolved settings (host, port, token, logger, WebSocket cap,
 * scoring options, webhook); shared by `start` and its Kafka mode.
 */
export function serverOptionsOf(settings: ReadonlyMap<string, Resolved>, logger: Logger): Omit<ServerOptions, 'system'> {
  const get = <T>(key: string): T | undefined => settings.get(key)?.value as T | undefined;
  const token = tokenOf(settings);
  const webhookUrl = get<string>('webhook.url');
  return {
    host: get<string>('server.host') ?? '127.0.0.1',
    port: get<number>('server.port') ?? 8080,
    ...(token === undefined ? {} : { token }),
    logger,
    maxWsClients: get<number>('server.max_ws_clients') ?? 64,
    scoring: scoringOptions(settings),
    ...(webhookUrl === undefined
      ? {}
      : {
          webhook: {
            url: webhookUrl,
            batch: get<number>('webhook.batch') ?? 20,
            intervalMs: get<number>('webhook.interval_ms') ?? 1000,
            maxPerMinute: get<number>('webhook.max_per_minute') ?? 30,
            retries: get<number>('webhook.retries') ?? 5,
            queue: get<number>('webhook.queue') ?? 1000,
          },
        }),
  };
}

/**
 * Serves `system` as the settings say, shared by `start` and its Kafka mode: starts the server (shutting the system
 * down if that fails: its worker pool would keep the process alive), installs the signal handlers (drain, then flush
 * the asynchronous log before exiting), and returns the server, its URL and which settings came from where.
 */
export async function serve(
  system: FraudSystem,
  settings: ReadonlyMap<string, Resolved>,
  logger: Logger,
): Promise<{ server: RunningServer; url: string; origins: Record<string, string> }> {
  let server: RunningServer;
  try {
    server = await startServer({ system, ...serverOptionsOf(settings, logger) });
  } catch (err) {
    await system.close();
    throw err;
  }
  installSignalHandlers(server, {
    log: (line) => logger.info(line),
    exit: (code) => logger.flush(() => process.exit(code)),
  });
  const url = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}/`;
  const origins = Object.fromEntries([...settings].filter(([, r]) => r.origin !== 'default').map(([key, r]) => [key, r.origin]));
  return { server, url, origins };
}
