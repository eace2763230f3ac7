import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { contentTypeFor } from './content-types.js';
import { HttpError } from './errors.js';

/** Largest file the static handler serves, in bytes; a dashboard bundle is far smaller. */
export const MAX_STATIC_FILE_BYTES = 8 * 1024 * 1024;

/** A file ready to send. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** `no-cache` for HTML (always revalidate), a long lifetime for fingerprinted assets under `/assets/`. */
  cacheControl: string;
}

/** Serves files from one directory, refusing any path that would leave it. */
export class StaticFiles {
  readonly #root: string;

  /** `root` is resolved once; the directory may appear later (a dashboard built after the server started). */
  constructor(root: string) {
    this.#root = resolve(root);
  }

  /**
   * Finds the file for a raw request path. Resolves to `undefined` when there is no such file and the SPA
   * fallback applies; throws a 400/403/404 `HttpError` for bad, escaping or hidden paths.
   */
  async lookup(rawPath: string): Promise<StaticFile | undefined> {
    const segments = this.#segments(rawPath);
    const candidate = segments.length === 0 ? join(this.#root, 'index.html') : join(this.#root, ...segments);
    const file = await this.#readInside(candidate);
    if (file !== undefined) return file;
    // A directory with an index.html is served like a site root.
    return this.#readInside(join(candidate, 'index.html'));
  }

  /** The SPA entry point, served for unknown paths that look like client-side routes. */
  async index(): Promise<StaticFile | undefined> {
    return this.#readInside(join(this.#root, 'index.html'));
  }

  /** Decodes and checks a raw path, returning its segments relative to the root. */
  #segments(rawPath: string): string[] {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      throw new HttpError(400, 'bad_request', 'the path is not valid percent-encoding');
    }
    if (decoded.includes('\0') || decoded.includes('\\')) throw new HttpError(400, 'bad_request', 'invalid path');
    // Refuse rather than resolve "..": a client that sends it is not a browser following a link.
    const parts = decoded.split('/');
    if (parts.includes('..')) throw new HttpError(403, 'forbidden_path', 'the path leaves the static directory');
    if (parts.some((part) => part.startsWith('.') && part !== '.')) {
      throw new HttpError(404, 'not_found', 'no such file');
    }
    const normalized = posix.normalize(`/${decoded}`);
    return normalized.split('/').filter((part) => part !== '' && part !== '.');
  }

  /** Reads a regular file if, after following symlinks, it is still inside the root and not too large. */
  async #readInside(candidate: string): Promise<StaticFile | undefined> {
    if (!this.#inside(this.#root, candidate)) {
      throw new HttpError(403, 'forbidden_path', 'the path leaves the static directory');
    }
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return undefined;
    }
    const realRoot = await realpath(this.#root).catch(() => this.#root);
    if (!this.#inside(realRoot, real)) {
      throw new HttpError(403, 'forbidden_path', 'the path leaves the static directory');
    }
    const info = await stat(real).catch(() => undefined);
    if (info === undefined || !info.isFile()) return undefined;
    if (info.size > MAX_STATIC_FILE_BYTES) throw new HttpError(404, 'not_found', 'no such file');
    const body = await readFile(real);
    const immutable = relative(this.#root, candidate).split(sep)[0] === 'assets';
    return {
      body,
      contentType: contentTypeFor(real),
      cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
  }

  #inside(root: string, path: string): boolean {
    const rel = relative(root, path);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  }
}
