import { authorizeMutation } from './auth.js';
import { apiRoutes, type Route, type V1Handlers } from './api-routes.js';
import type { ChallengerControl } from './challenger-routes.js';
import { HttpError } from './errors.js';
import type { FraudSystem } from '@fraudstream/system';
import { reply, replyError } from './http-reply.js';
import { readBody } from './read-body.js';
import type { RequestContext } from './request-context.js';
import { StaticFiles, type StaticFile } from './static-files.js';

/** What the router needs to know about the server. */
export interface RouterOptions {
  system: FraudSystem;
  staticDir: string;
  token: string | undefined;
  log: (line: string) => void;
  v1: V1Handlers | undefined;
  openApiJson: string;
  /** The engine's challenger slot, when the system exposes its engine. */
  challenger?: ChallengerControl | undefined;
}

/** Dispatches every plain HTTP request: API routes by exact path (or `PREFIX/:id`), then static files with an SPA fallback. */
export class RequestRouter {
  readonly #routes: ReadonlyMap<string, Route>;
  readonly #files: StaticFiles;
  readonly #token: string | undefined;
  readonly #log: (line: string) => void;

  constructor(options: RouterOptions) {
    this.#routes = apiRoutes(options.system, options.v1, options.openApiJson, options.token, options.challenger);
    this.#files = new StaticFiles(options.staticDir);
    this.#token = options.token;
    this.#log = options.log;
  }

  /** Handles one request to its end; never rejects (errors become JSON error responses). */
  async handle(context: RequestContext): Promise<void> {
    try {
      await this.#dispatch(context);
    } catch (error) {
      const httpError = HttpError.from(error);
      // A 503 with Retry-After is the system holding its inputs back on purpose (backpressure), not a failure.
      if (httpError.status >= 500 && httpError.headers['Retry-After'] === undefined) {
        const cause = httpError.cause instanceof Error ? httpError.cause.message : String(httpError.cause);
        // Only the method and path are logged: they never carry card data.
        this.#log(`fraudstream server: ${context.method.toUpperCase()} ${context.url} failed: ${cause}`);
      }
      // A request whose body was not read to its end leaves the connection in an unknown state: close it.
      // A streamed route refused before or while reading its body: close too.
      const unread = httpError.status === 413 || (context.method === 'post' && this.#routes.get(context.url)?.streamed === true);
      replyError(context, httpError, { closeConnection: unread });
    }
  }

  async #dispatch(context: RequestContext): Promise<void> {
    const { method, url } = context;
    if (context.headers.upgrade !== '') {
      throw new HttpError(404, 'not_found', 'WebSocket connections are served at /ws only');
    }
    // Exact paths first, then a route with an id as its last segment (`/api/cases/:id`).
    const route = this.#routes.get(url) ?? (url.startsWith('/api/') ? this.#routes.get(url.replace(/\/[^/]+$/, '/:id')) : undefined);
    if (route !== undefined) {
      const key = method === 'head' ? 'get' : method;
      // Only own, known keys: a method named e.g. "constructor" must not reach Object.prototype.
      const handler = isMethod(key) ? route[key] : undefined;
      if (handler === undefined) throw methodNotAllowed(Object.keys(route).filter(isMethod));
      if (method === 'post' && route.streamed === true) {
        // A streamed body is read by its handler, so the request is authorized before the first byte is read.
        try {
          authorizeMutation(context, this.#token);
        } catch (error) {
          // uWS expects a reader for a request with a body; the chunks are dropped and the connection closed.
          context.res.onData(() => {});
          throw error;
        }
        await handler(context, Buffer.alloc(0));
      } else if (method === 'post' || method === 'put' || method === 'delete') {
        const body = await readBody(context, route.maxBody);
        authorizeMutation(context, this.#token);
        await handler(context, body);
      } else {
        await handler(context, Buffer.alloc(0));
      }
      return;
    }
    if (url === '/api' || url.startsWith('/api/')) throw new HttpError(404, 'not_found', `no API endpoint ${url}`);
    if (url === '/ws') {
      throw new HttpError(426, 'upgrade_required', '/ws needs a WebSocket upgrade', { headers: { Upgrade: 'websocket' } });
    }
    if (method !== 'get' && method !== 'head') throw methodNotAllowed(['get']);
    await this.#serveStatic(context);
  }

  async #serveStatic(context: RequestContext): Promise<void> {
    let file: StaticFile | undefined = await this.#files.lookup(context.url);
    // Client-side routes have no extension; a missing `/assets/app.js` must stay a 404, not become HTML.
    const lastSegment = context.url.slice(context.url.lastIndexOf('/') + 1);
    if (file === undefined && !lastSegment.includes('.')) file = await this.#files.index();
    if (file === undefined) throw new HttpError(404, 'not_found', 'no such file');
    reply(context, 200, file.body, {
      headers: {
        'Content-Type': file.contentType,
        'Cache-Control': file.cacheControl,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  }
}

/** Whether `key` is a method a route may handle. */
function isMethod(key: string): key is 'get' | 'post' | 'put' | 'delete' {
  return key === 'get' || key === 'post' || key === 'put' || key === 'delete';
}

/** A 405 naming the allowed methods (HEAD goes with GET). */
function methodNotAllowed(methods: readonly string[]): HttpError {
  const allowed = methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()]));
  return new HttpError(405, 'method_not_allowed', `method not allowed; use ${allowed.join(', ')}`, {
    headers: { Allow: allowed.join(', ') },
  });
}
