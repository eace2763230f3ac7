import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';

/** The handshake was answered with a plain HTTP response instead of 101. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`WebSocket upgrade refused with HTTP ${status}`);
  }
}

/**
 * A minimal RFC 6455 client for tests (Node 20 has no global WebSocket): text frames in, masked control frames out.
 * Server frames are unmasked; fragmented messages are joined.
 */
export class TestWebSocket {
  readonly #socket: Duplex;
  #buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  readonly #messages: string[] = [];
  #waiter: (() => void) | undefined;
  /** Resolves with the close code once the server closes (1006 when the TCP connection just ends). */
  readonly closed: Promise<number>;
  #closeCode: number | undefined;

  constructor(socket: Duplex, head: Buffer) {
    this.#socket = socket;
    let onClosed: (code: number) => void = () => {};
    this.closed = new Promise((resolve) => (onClosed = resolve));
    const finish = (code: number): void => {
      if (this.#closeCode !== undefined) return;
      this.#closeCode = code;
      onClosed(code);
      this.#waiter?.();
    };
    socket.on('data', (chunk: Buffer) => this.#onData(chunk, finish));
    socket.on('close', () => finish(1006));
    socket.on('error', () => finish(1006));
    if (head.length > 0) this.#onData(head, finish);
  }

  /** The underlying socket, e.g. to pause reading and build up server-side backpressure. */
  get socket(): Duplex {
    return this.#socket;
  }

  /** The next text message, parsed as JSON; rejects if the socket closes or nothing arrives within `timeoutMs`. */
  async next<T = unknown>(timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.#messages.length === 0) {
      if (this.#closeCode !== undefined) throw new Error(`WebSocket closed (${this.#closeCode})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no WebSocket message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return JSON.parse(this.#messages.shift() as string) as T;
  }

  /** Sends a close frame and ends the connection. */
  close(code = 1000): void {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.#send(0x8, payload);
    this.#socket.end();
  }

  /** Sends one text frame (up to 65535 bytes), e.g. to probe the server's inbound message limit. */
  sendText(text: string): void {
    this.#send(0x1, Buffer.from(text, 'utf8'));
  }

  #send(opcode: number, payload: Buffer): void {
    if (payload.length > 0xffff) throw new RangeError('the test client sends frames of at most 65535 bytes');
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
    const head =
      payload.length <= 125
        ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
        : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    this.#socket.write(Buffer.concat([head, mask, masked]));
  }

  #onData(chunk: Buffer, finish: (code: number) => void): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#buffer.length < 2) return;
      const b0 = this.#buffer[0] as number;
      const b1 = this.#buffer[1] as number;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const payload = this.#buffer.subarray(offset, offset + length);
      this.#buffer = this.#buffer.subarray(offset + length);
      const opcode = b0 & 0x0f;
      if (opcode === 0x1 || opcode === 0x0) {
        this.#fragments.push(Buffer.from(payload));
        if ((b0 & 0x80) !== 0) {
          this.#messages.push(Buffer.concat(this.#fragments).toString('utf8'));
          this.#fragments = [];
          this.#waiter?.();
        }
      } else if (opcode === 0x8) {
        finish(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
        this.#socket.end();
      } else if (opcode === 0x9) {
        this.#send(0xa, Buffer.from(payload));
      }
    }
  }
}

/**
 * Opens a WebSocket to `path` on 127.0.0.1:`port` (with `headers` added, e.g. Origin or Sec-WebSocket-Protocol);
 * rejects with `UpgradeRefused` when the server answers without 101.
 */
export function openWebSocket(port: number, path = '/ws', headers: Record<string, string> = {}): Promise<TestWebSocket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { ...headers, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
    });
    req.on('upgrade', (res, socket, head) => {
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) {
        socket.destroy();
        reject(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      resolve(new TestWebSocket(socket, head));
    });
    req.on('response', (res) => {
      res.resume();
      reject(new UpgradeRefused(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
