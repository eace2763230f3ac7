import { isIP } from 'node:net';

/** True when `host` names only this machine: `localhost`, 127.0.0.0/8, `::1` or an IPv4-mapped loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  // The WHATWG URL parser prints IPv6 in its shortest form, so `0:0:0:0:0:0:0:1` and `::1` compare equal.
  const canonical = new URL(`http://[${h}]/`).hostname;
  if (canonical === '[::1]') return true;
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}\]$/.exec(canonical);
  return mapped !== null && mapped[1] !== undefined && Number.parseInt(mapped[1], 16) >> 8 === 127;
}

/** Formats host and port for a URL, bracketing IPv6 addresses. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
