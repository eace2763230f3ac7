import { randomBytes } from 'node:crypto';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Log levels a configuration may name. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The JSON-lines logger of the server and the CLI (pino): one object per line with `level`, `time`, `msg`, and
 * `reqId` on request lines. Callers log only counts, routes, statuses and messages they wrote themselves, never a
 * card id or a raw input value (a request is logged by its route, not its raw path; see `routeLabel`).
 */
export function createLogger(options: { level?: LevelWithSilent; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw new RangeError(`log level must be one of ${LOG_LEVELS.join(', ')}`);
  return pino(
    { level, base: { service: 'fraudstream' }, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

const prefix = randomBytes(4).toString('hex');
let next = 0;

/**
 * A new id for one HTTP request: this process's random prefix and a counter. A client's own `X-Request-Id` is not
 * taken over, since it is client input and could carry anything (the id is sent back in `X-Request-Id`).
 */
export function requestId(): string {
  next = (next + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${next.toString(36)}`;
}

/**
 * How a request's path appears in the log: an API route by its name, anything else by a class (`static`, `unmatched`),
 * since a raw path is client input and may carry anything, a card number included.
 */
export function routeLabel(url: string, knownRoutes: ReadonlySet<string>, status: number): string {
  if (knownRoutes.has(url)) return url;
  return status < 400 ? 'static' : 'unmatched';
}
