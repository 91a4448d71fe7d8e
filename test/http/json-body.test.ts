import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BadRequestError, ClientAbortError, PayloadTooLargeError } from '../../src/core/errors.js';
import {
  jsonDepth,
  MALFORMED_JSON,
  parseJsonBody,
  readBodyText,
  requireObject,
  TOO_DEEP,
  UNDECODABLE_REQUEST,
  UNEXPECTED_BODY_TYPE,
} from '../../src/http/json-body.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parseJsonBody', () => {
  it.each<[string, unknown]>([
    ['{}', {}],
    ['[]', []],
    ['{"a": [1, {"b": null}]}', { a: [1, { b: null }] }],
    [' "x" ', 'x'],
    ['5', 5],
    ['null', null],
    ['{"a": "]]]]]]"}', { a: ']]]]]]' }],
    ['{"a": "\\"[[[["}', { a: '"[[[[' }],
  ])('%j', (text, value) => {
    expect(parseJsonBody(text, { maxDepth: 3 })).toEqual(value);
  });

  it.each(['', '   ', '{', '{"a":1,}', "{'a': 1}", 'NaN', '[Infinity]', '\ufeff{}', '{"a": 1} x', 'undefined'])(
    'malformed %j',
    (text) => {
      expect(message(() => parseJsonBody(text, { maxDepth: 10 }))).toBe(MALFORMED_JSON);
    },
  );

  it.each<[string, number, boolean]>([
    ['{}', 1, true],
    ['[[]]', 1, false],
    ['[[]]', 2, true],
    ['{"a": {"b": {}}}', 2, false],
    ['{"a": {"b": {}}}', 3, true],
    ['[[], [], []]', 2, true],
    ['"[[[[[["', 1, true],
    ['"\\\\"[[', 1, false],
  ])('%j with maxDepth %i → ok=%s', (text, maxDepth, ok) => {
    if (ok) expect(() => parseJsonBody(text, { maxDepth })).not.toThrow();
    else expect(message(() => parseJsonBody(text, { maxDepth }))).toBe(TOO_DEEP);
  });

  it('rejects a hostile nesting without blowing the stack', () => {
    const text = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(message(() => parseJsonBody(text, { maxDepth: 64 }))).toBe(TOO_DEEP);
  });

  it('checks depth before syntax', () => {
    expect(message(() => parseJsonBody('[[[', { maxDepth: 2 }))).toBe(TOO_DEEP);
    expect(message(() => parseJsonBody('[[', { maxDepth: 2 }))).toBe(MALFORMED_JSON);
  });
});

describe('jsonDepth', () => {
  it.each<[string, number]>([
    ['', 0],
    ['1', 0],
    ['[]', 1],
    ['[{}, [[]]]', 3],
    ['{"[": "{"}', 1],
  ])('%j → %i', (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it('stops once the limit is exceeded', () => {
    expect(jsonDepth('[[[[[[', 2)).toBe(3);
  });
});

describe('requireObject', () => {
  it.each<unknown>(['x', 1, true, null, [], [{}]])('%j → 400', (body) => {
    expect(message(() => requireObject(body))).toBe(UNEXPECTED_BODY_TYPE);
  });

  it('returns objects', () => {
    const body = { a: 1 };
    expect(requireObject(body)).toBe(body);
  });
});

function fakeRequest(chunks: Array<Buffer | string>, headers: Record<string, string> = {}): IncomingMessage {
  const stream = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)), { objectMode: false });
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

async function readError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('no error');
}

describe('readBodyText', () => {
  const signal = new AbortController().signal;

  it.each<[Array<Buffer | string>, string]>([
    [[], ''],
    [['{"a": 1}'], '{"a": 1}'],
    [['{"a"', ': "é"}'], '{"a": "é"}'],
    // A multi-byte character split across chunks still decodes.
    [[Buffer.from([0x22, 0xc3]), Buffer.from([0xa9, 0x22])], '"é"'],
    // The BOM is kept so JSON.parse refuses it like Python's json does.
    [[Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])], '\ufeff{}'],
  ])('%j', async (chunks, text) => {
    await expect(readBodyText(fakeRequest(chunks), 100, signal)).resolves.toBe(text);
  });

  it('accepts exactly maxBytes', async () => {
    await expect(readBodyText(fakeRequest(['12345']), 5, signal)).resolves.toBe('12345');
  });

  it.each<[Buffer]>([[Buffer.from([0xff])], [Buffer.from([0x22, 0xc3, 0x22])], [Buffer.from([0xed, 0xa0, 0x80])]])(
    'invalid UTF-8 %j → 400',
    async (bytes) => {
      const err = await readError(readBodyText(fakeRequest([bytes]), 100, signal));
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toBe(UNDECODABLE_REQUEST);
    },
  );

  it('refuses a declared Content-Length above the cap without reading', async () => {
    const req = fakeRequest(['x'], { 'content-length': '6' });
    expect(await readError(readBodyText(req, 5, signal))).toBeInstanceOf(PayloadTooLargeError);
    expect(req.readableFlowing).toBeNull();
  });

  it('stops reading once the cap is exceeded', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        this.push(Buffer.alloc(1024, 0x20));
      },
    });
    const req = Object.assign(endless, { headers: {} }) as unknown as IncomingMessage;
    expect(await readError(readBodyText(req, 10_000, signal))).toBeInstanceOf(PayloadTooLargeError);
    const after = produced;
    await new Promise((r) => setTimeout(r, 20));
    expect(req.isPaused()).toBe(true);
    expect(produced - after).toBeLessThanOrEqual(16);
  });

  it('rejects with ClientAbortError when the signal fires', async () => {
    const ac = new AbortController();
    const req = Object.assign(new PassThrough(), { headers: {} }) as unknown as IncomingMessage;
    const p = readBodyText(req, 100, ac.signal);
    (req as unknown as PassThrough).write('{"a"');
    ac.abort();
    expect(await readError(p)).toBeInstanceOf(ClientAbortError);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await readError(readBodyText(fakeRequest(['{}']), 100, ac.signal))).toBeInstanceOf(ClientAbortError);
  });

  it('rejects with ClientAbortError when the stream closes before its end', async () => {
    const req = Object.assign(new PassThrough(), { headers: {} }) as unknown as IncomingMessage;
    const p = readBodyText(req, 100, signal);
    (req as unknown as PassThrough).write('{"a"');
    (req as unknown as PassThrough).destroy();
    expect(await readError(p)).toBeInstanceOf(ClientAbortError);
  });

  it('passes stream errors through', async () => {
    const req = Object.assign(new PassThrough(), { headers: {} }) as unknown as IncomingMessage;
    const p = readBodyText(req, 100, signal);
    const boom = new Error('boom');
    (req as unknown as PassThrough).destroy(boom);
    expect(await readError(p)).toBe(boom);
  });

  it('fails instead of hanging on an already consumed body', async () => {
    const req = fakeRequest(['x']);
    req.resume();
    await new Promise((r) => req.on('end', r));
    expect(await readError(readBodyText(req, 100, signal))).toBeInstanceOf(Error);
  });

  it('reads a real HTTP request, chunked, and refuses an oversized one', async () => {
    const server = createServer((req, res) => {
      readBodyText(req, 16, new AbortController().signal).then(
        (text) => res.end(`ok:${text}`),
        (e: unknown) => {
          res.writeHead(e instanceof PayloadTooLargeError ? 413 : 500, { connection: 'close' });
          res.end();
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const send = (parts: string[]): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        for (const p of parts) req.write(p);
        req.end();
      });
    try {
      expect(await send(['{"a":', ' 1}'])).toEqual({ status: 200, body: 'ok:{"a": 1}' });
      expect((await send(['0123456789', '0123456789'])).status).toBe(413);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
