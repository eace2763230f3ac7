import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';
import { isLoopbackHost } from './net-address.js';
import type { RequestContext } from './request-context.js';

/** Compares two secrets in constant time (hashing first so unequal lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The host name of a `Host` header value, without the port, lower-cased. */
export function hostName(hostHeader: string): string {
  try {
    return new URL(`http://${hostHeader}/`).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/**
 * Guards a mutating request, throwing a 401/403 `HttpError`:
 * - with a token configured, `Authorization: Bearer <token>` is required;
 * - a browser request from another origin is refused (`Origin` must match `Host`), so a web page cannot drive a
 *   local engine with a cross-site form post;
 * - without a token (so on a loopback bind), `Host` must be a loopback name, which defeats DNS rebinding.
 */
export function authorizeMutation(context: RequestContext, token: string | undefined): void {
  const { host, origin, authorization } = context.headers;
  if (token !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    if (match === null || match[1] === undefined || !sameSecret(match[1], token)) {
      throw new HttpError(401, 'unauthorized', 'this endpoint needs Authorization: Bearer <token>', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
  }
  if (origin !== '') {
    let originHost = '';
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      // An unparsable Origin (including "null" from sandboxed frames) is treated as foreign.
    }
    if (originHost !== host.toLowerCase()) {
      throw new HttpError(403, 'forbidden', 'cross-origin requests may not change the system');
    }
  }
  if (token === undefined && host !== lastLoopbackHost) {
    if (!isLoopbackHost(hostName(host))) throw new HttpError(403, 'forbidden', 'the Host header must name this machine');
    // Every request of a client repeats its Host header: the last one found loopback skips the URL parse next time.
    lastLoopbackHost = host;
  }
}

/** The last `Host` header value found to name this machine (exact text). */
let lastLoopbackHost = '\0';
