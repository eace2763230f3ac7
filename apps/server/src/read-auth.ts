import { hostName, sameSecret } from './auth.js';
import { HttpError } from './errors.js';
import { isLoopbackHost } from './net-address.js';

/** The request headers a read guard looks at. */
export interface ReadHeaders {
  host: string;
  authorization: string;
}

/**
 * Guards a data route (e.g. `/metrics`), throwing a 401/403 `HttpError`: with a token configured (always the case
 * off loopback) `Authorization: Bearer <token>` is required; without one, `Host` must name this machine (DNS rebinding).
 */
export function authorizeRead(headers: ReadHeaders, token: string | undefined): void {
  if (token !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(headers.authorization);
    if (match === null || match[1] === undefined || !sameSecret(match[1], token)) {
      throw new HttpError(401, 'unauthorized', 'this endpoint needs Authorization: Bearer <token>', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    return;
  }
  if (!isLoopbackHost(hostName(headers.host))) throw new HttpError(403, 'forbidden', 'the Host header must name this machine');
}
