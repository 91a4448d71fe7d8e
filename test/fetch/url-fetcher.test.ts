import diagnostics from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Readable } from 'node:stream';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { parseAllowList } from '../../src/fetch/address-policy.js';
import {
  FetchFailedError,
  FetchRefusedError,
  FetchTooLargeError,
  UrlFetcher,
  redactUrl,
  validateUrl,
  type Resolver,
  type UrlFetcherOptions,
} from '../../src/fetch/url-fetcher.js';
import { Fixture, closedPort } from './fixture-server.js';
import { SECURE_TEST_CERT, SECURE_TEST_KEY } from './tls-fixture.js';

const live = (): AbortSignal => new AbortController().signal;
const ALLOW_LOOPBACK_1 = parseAllowList('127.0.0.1/32');

/** Fetcher for fixture tests: 127.0.0.1 allow-listed, any port. */
function fetcher(o: UrlFetcherOptions = {}): UrlFetcher {
  return new UrlFetcher({ allow: ALLOW_LOOPBACK_1, allowedPorts: null, ...o });
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Reads until the stream fails; returns the error and the bytes that arrived before it. */
async function readUntilError(r: Readable): Promise<{ error: unknown; received: number }> {
  let received = 0;
  try {
    for await (const c of r) received += (c as Buffer).length;
  } catch (error) {
    return { error, received };
  }
  throw new Error(`stream ended normally after ${received} bytes`);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function redirect(res: ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location, 'content-type': 'text/plain' });
  res.end(`moved to ${location}`);
}

const PAYLOAD = Buffer.alloc(100_000, 0);
for (let i = 0; i < PAYLOAD.length; i++) PAYLOAD[i] = (i * 31) & 0xff;

// Every connection attempt undici makes is published here: "refused before any connection" is
// asserted on it as well as on the fixture servers' own accept counts.
const connectAttempts: string[] = [];
const onBeforeConnect = (msg: unknown): void => {
  const m = msg as { connectParams: { hostname: string; port: string } };
  connectAttempts.push(`${m.connectParams.hostname}:${m.connectParams.port}`);
};

let main: Fixture;
let other: Fixture; // 127.0.0.1, another port (cross-origin redirects)
let loop2: Fixture | null; // 127.0.0.2: loopback, but not allow-listed
let v6: Fixture | null; // ::1, when the host has IPv6 loopback

beforeAll(async () => {
  diagnostics.subscribe('undici:client:beforeConnect', onBeforeConnect);
  main = await Fixture.start('127.0.0.1');
  other = await Fixture.start('127.0.0.1');
  loop2 = await Fixture.tryStart('127.0.0.2');
  v6 = await Fixture.tryStart('::1');

  main
    .route('/img', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(PAYLOAD.length) });
      // Several writes, so the client really streams.
      let off = 0;
      const next = (): void => {
        if (off >= PAYLOAD.length) return void res.end();
        const end = Math.min(off + 16_384, PAYLOAD.length);
        res.write(PAYLOAD.subarray(off, end), next);
        off = end;
      };
      next();
    })
    .route('/chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write('hello ');
      res.end('world');
    })
    .route('/big-declared', (_req, res) => {
      res.writeHead(200, { 'content-length': '2000' });
      res.end(Buffer.alloc(2000));
    })
    .route('/big-chunked', (_req, res) => {
      res.writeHead(200, {});
      let n = 0;
      const tick = (): void => {
        if (n++ >= 10) return void res.end();
        res.write(Buffer.alloc(500, 7), () => setTimeout(tick, 10));
      };
      tick();
    })
    .route('/exact-1000', (_req, res) => {
      res.writeHead(200, {});
      res.write(Buffer.alloc(600));
      res.end(Buffer.alloc(400));
    })
    .route('/missing-big', (_req, res) => {
      res.writeHead(404, { 'content-length': String(1_000_000) });
      res.write(Buffer.alloc(65_536)); // the rest never comes: the client must not wait for it
    })
    .route('/error', (_req, res) => {
      res.writeHead(500);
      res.end('boom');
    })
    .route('/not-modified', (_req, res) => {
      res.writeHead(304);
      res.end();
    })
    .route('/r1', (_req, res) => redirect(res, 302, '/r2'))
    .route('/r2', (_req, res, f) => redirect(res, 301, f.url('/final')))
    .route('/final', (_req, res) => {
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    })
    .route('/chain', (req, res) => {
      const n = Number(new URL(req.url ?? '', 'http://x').searchParams.get('n'));
      if (n <= 0) {
        res.writeHead(200, { 'content-length': '4' });
        res.end('done');
      } else redirect(res, 302, `/chain?n=${n - 1}`);
    })
    .route('/loop', (_req, res) => redirect(res, 307, '/loop'))
    .route('/no-location', (_req, res) => {
      res.writeHead(302);
      res.end();
    })
    .route('/to-other', (_req, res) => redirect(res, 302, other.url('/echo')))
    .route('/to-self-echo', (_req, res) => redirect(res, 302, '/echo'))
    .route('/echo', (_req, res) => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    })
    .route('/hang', () => {
      /* never answers */
    })
    .route('/stall', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write(Buffer.alloc(10)); // then nothing
    })
    .route('/trickle', (_req, res) => {
      res.writeHead(200, {});
      const t = setInterval(() => res.write('x'), 40);
      res.on('close', () => clearInterval(t));
    })
    .route('/short', (req, res) => {
      res.writeHead(200, { 'content-length': '100', connection: 'close' });
      res.end(Buffer.alloc(10));
      req.socket.end();
    });
  other.route('/echo', (_req, res) => {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  });
});

afterAll(async () => {
  diagnostics.unsubscribe('undici:client:beforeConnect', onBeforeConnect);
  await Promise.all([main.close(), other.close(), loop2?.close(), v6?.close()]);
});

beforeEach(() => {
  connectAttempts.length = 0;
  main.requests.length = 0;
  other.requests.length = 0;
  main.connections = 0;
  other.connections = 0;
});

afterEach(async () => {
  // Every test must leave no connection behind (bodies consumed or destroyed).
  expect(await main.waitForNoSockets()).toBe(0);
  expect(await other.waitForNoSockets()).toBe(0);
});

describe('successful fetches', () => {
  it('streams a 200 body and reports its size', async () => {
    const r = await fetcher().open(main.url('/img'), live());
    expect(r.size).toBe(PAYLOAD.length);
    expect(r.finalUrl).toBe(main.url('/img'));
    const got = await readAll(r.body);
    expect(got.equals(PAYLOAD)).toBe(true);
    expect(main.requests).toHaveLength(1);
    const h = main.requests[0]!.headers;
    expect(h['user-agent']).toBe('glance-gateway');
    expect(h.host).toBe(`127.0.0.1:${main.port}`);
    expect(h.authorization).toBeUndefined();
  });

  it('reports size null for a body without Content-Length', async () => {
    const r = await fetcher({ userAgent: 'ua-test/1' }).open(main.url('/chunked'), live());
    expect(r.size).toBeNull();
    expect((await readAll(r.body)).toString()).toBe('hello world');
    expect(main.requests[0]!.headers['user-agent']).toBe('ua-test/1');
  });

  it('does not send the fragment and keeps the query', async () => {
    const r = await fetcher().open(main.url('/chunked?a=1&b=%20#frag'), live());
    await readAll(r.body);
    expect(main.requests[0]!.path).toBe('/chunked?a=1&b=%20');
  });

  it('head() reports the Content-Length', async () => {
    await expect(fetcher().head(main.url('/img'), live())).resolves.toEqual({
      size: PAYLOAD.length,
      finalUrl: main.url('/img'),
    });
    expect(main.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('check() accepts an allowed URL without connecting', async () => {
    await expect(fetcher().check(main.url('/img'), live())).resolves.toBeUndefined();
    expect(connectAttempts).toEqual([]);
    expect(main.connections).toBe(0);
  });
});

describe('HTTP errors', () => {
  it('404 → FetchFailedError with the status, body not waited for', async () => {
    const e = await rejection(fetcher({ headersTimeoutMs: 5000, bodyIdleTimeoutMs: 5000 }).open(main.url('/missing-big'), live()));
    expect(e).toBeInstanceOf(FetchFailedError);
    expect(e).toMatchObject({ kind: 'status', status: 404 });
  });

  it('unknown path 404 and 500 and 304 are failures', async () => {
    const f = fetcher();
    await expect(f.open(main.url('/nope'), live())).rejects.toMatchObject({ kind: 'status', status: 404 });
    await expect(f.open(main.url('/error'), live())).rejects.toMatchObject({ kind: 'status', status: 500 });
    await expect(f.open(main.url('/not-modified'), live())).rejects.toMatchObject({ kind: 'status', status: 304 });
    await expect(f.head(main.url('/nope'), live())).rejects.toMatchObject({ kind: 'status', status: 404 });
  });

  it('connection refused → FetchFailedError network', async () => {
    const port = await closedPort();
    const e = await rejection(fetcher().open(`http://127.0.0.1:${port}/x`, live()));
    expect(e).toBeInstanceOf(FetchFailedError);
    expect(e).toMatchObject({ kind: 'network', status: null });
    expect((e as Error).message).toContain('ECONNREFUSED');
  });

  it('a body cut short of its Content-Length fails', async () => {
    const r = await fetcher().open(main.url('/short'), live());
    const { error, received } = await readUntilError(r.body);
    expect(error).toBeInstanceOf(FetchFailedError);
    expect(received).toBeLessThan(100);
  });
});

describe('redirects', () => {
  it('follows an allowed → allowed chain (relative and absolute Location)', async () => {
    const r = await fetcher().open(main.url('/r1'), live());
    expect((await readAll(r.body)).toString()).toBe('ok');
    expect(r.finalUrl).toBe(main.url('/final'));
    expect(main.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /r1', 'GET /r2', 'GET /final']);
  });

  it.each([301, 302, 303, 307, 308])('follows %d', async (status) => {
    main.route(`/s${status}`, (_req, res) => redirect(res, status, '/final'));
    const r = await fetcher().open(main.url(`/s${status}`), live());
    expect((await readAll(r.body)).toString()).toBe('ok');
  });

  it('head() follows redirects with HEAD', async () => {
    await expect(fetcher().head(main.url('/r1'), live())).resolves.toEqual({ size: 2, finalUrl: main.url('/final') });
    expect(main.requests.map((q) => q.method)).toEqual(['HEAD', 'HEAD', 'HEAD']);
  });

  it('refuses a redirect to a loopback address that is not allow-listed, without contacting it', async () => {
    if (loop2) {
      main.route('/to-loop2', (_req, res) => redirect(res, 302, loop2!.url('/img')));
    } else {
      main.route('/to-loop2', (_req, res) => redirect(res, 302, `http://127.0.0.2:${main.port}/img`));
    }
    const e = await rejection(fetcher().open(main.url('/to-loop2'), live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect(e).toMatchObject({ reason: 'address', hop: 1 });
    expect(connectAttempts).toEqual([`127.0.0.1:${main.port}`]);
    if (loop2) expect(loop2.connections).toBe(0);
  });

  it.each([
    ['[::1]', (p: number) => `http://[::1]:${p}/img`],
    ['decimal 127.0.0.2', (p: number) => `http://2130706434:${p}/img`],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
    ['10.0.0.1', () => 'http://10.0.0.1/'],
    ['file:', () => 'file:///etc/passwd'],
    ['gopher:', () => 'gopher://127.0.0.1:6379/_INFO'],
  ])('refuses a redirect to %s', async (_name, target) => {
    main.route('/to-target', (_req, res) => redirect(res, 302, target(v6?.port ?? main.port)));
    const e = await rejection(fetcher().open(main.url('/to-target'), live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect((e as FetchRefusedError).hop).toBe(1);
    expect(connectAttempts).toHaveLength(1);
    if (v6) expect(v6.connections).toBe(0);
  });

  it('re-checks the port policy on every hop', async () => {
    const e = await rejection(fetcher({ allowedPorts: [main.port] }).open(main.url('/to-other'), live()));
    expect(e).toMatchObject({ reason: 'port', hop: 1 });
    expect(other.connections).toBe(0);
  });

  it('caps the number of redirects', async () => {
    const f = fetcher({ maxRedirects: 2 });
    const ok = await f.open(main.url('/chain?n=2'), live());
    expect((await readAll(ok.body)).toString()).toBe('done');
    main.requests.length = 0;

    const e = await rejection(f.open(main.url('/chain?n=3'), live()));
    expect(e).toBeInstanceOf(FetchFailedError);
    expect(e).toMatchObject({ kind: 'too-many-redirects', status: 302 });
    expect(main.requests).toHaveLength(3);

    await expect(fetcher({ maxRedirects: 0 }).open(main.url('/r1'), live())).rejects.toMatchObject({
      kind: 'too-many-redirects',
    });
  });

  it('stops a redirect loop after the default 5 redirects', async () => {
    const e = await rejection(fetcher().open(main.url('/loop'), live()));
    expect(e).toMatchObject({ kind: 'too-many-redirects' });
    expect(main.requests).toHaveLength(6);
  });

  it('a redirect without Location fails', async () => {
    await expect(fetcher().open(main.url('/no-location'), live())).rejects.toMatchObject({
      kind: 'redirect',
      status: 302,
    });
  });
});

describe('default address policy (no allow-list)', () => {
  const strict = (o: UrlFetcherOptions = {}): UrlFetcher => new UrlFetcher({ allowedPorts: null, ...o });

  it.each([
    ['127.0.0.1', (p: number) => `http://127.0.0.1:${p}/img`, 'loopback'],
    ['decimal', (p: number) => `http://2130706433:${p}/img`, 'loopback'],
    ['octal', (p: number) => `http://0177.0.0.1:${p}/img`, 'loopback'],
    ['short', (p: number) => `http://127.1:${p}/img`, 'loopback'],
    ['ipv4-mapped', (p: number) => `http://[::ffff:127.0.0.1]:${p}/img`, 'loopback'],
    ['0.0.0.0', (p: number) => `http://0.0.0.0:${p}/img`, 'unspecified'],
    ['10.x', (p: number) => `http://10.1.2.3:${p}/img`, 'private'],
    ['169.254.x', () => `http://169.254.169.254/latest/meta-data/`, 'link-local'],
    ['[::1]', (p: number) => `http://[::1]:${p}/img`, 'loopback'],
  ])('refuses %s before any connection', async (_name, url, category) => {
    const port = _name === '[::1]' && v6 ? v6.port : main.port;
    for (const op of ['open', 'head', 'check'] as const) {
      const e = await rejection(strict()[op](url(port), live()));
      expect(e).toBeInstanceOf(FetchRefusedError);
      expect(e).toMatchObject({ reason: 'address', hop: 0 });
      expect((e as Error).message).toContain(`(${category})`);
    }
    expect(connectAttempts).toEqual([]);
    expect(main.connections).toBe(0);
    expect(main.requests).toEqual([]);
    if (v6) expect(v6.connections).toBe(0);
  });

  it('refuses a host name that resolves to a private address (injected resolver)', async () => {
    const resolver: Resolver = async () => ['10.0.0.5'];
    const e = await rejection(strict({ resolver }).open('http://images.example.com/a.img', live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect(e).toMatchObject({ reason: 'address' });
    // The internal address stays out of the message (it is in `detail`, for logs).
    expect((e as Error).message).not.toContain('10.0.0.5');
    expect((e as FetchRefusedError).detail).toContain('10.0.0.5');
    expect(connectAttempts).toEqual([]);
  });

  it('refuses when ANY resolved address is refused', async () => {
    const resolver: Resolver = async () => ['93.184.216.34', '127.0.0.1'];
    await expect(strict({ resolver }).check('http://mixed.example.com/', live())).rejects.toMatchObject({
      reason: 'address',
    });
    // Even with 127.0.0.1 allow-listed, a second, private address refuses the host.
    const resolver2: Resolver = async () => ['127.0.0.1', '10.0.0.1'];
    await expect(fetcher({ resolver: resolver2 }).open(`http://mixed.test:${main.port}/img`, live())).rejects.toMatchObject({
      reason: 'address',
    });
    expect(connectAttempts).toEqual([]);
    expect(main.connections).toBe(0);
  });

  it('the default resolver (system lookup) is checked too: localhost is refused', async () => {
    const e = await rejection(strict().open(`http://localhost:${main.port}/img`, live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect(e).toMatchObject({ reason: 'address' });
    expect((e as FetchRefusedError).detail).toMatch(/localhost → (127\.0\.0\.1|::1): loopback/);
    expect(connectAttempts).toEqual([]);
    expect(main.connections).toBe(0);
  });

  it('refuses a resolver answer that is not an IP literal', async () => {
    const resolver: Resolver = async () => ['0177.0.0.1'];
    await expect(strict({ resolver }).check('http://odd.example.com/', live())).rejects.toMatchObject({
      reason: 'address',
    });
  });

  it('resolution failures are FetchFailedError dns', async () => {
    const none: Resolver = async () => [];
    await expect(strict({ resolver: none }).check('http://empty.example.com/', live())).rejects.toMatchObject({
      kind: 'dns',
    });
    const boom: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(strict({ resolver: boom }).open('http://nx.example.com/', live())).rejects.toMatchObject({
      kind: 'dns',
    });
  });

  it('an allow-listed host name may resolve to an internal address', async () => {
    const resolver: Resolver = async () => ['127.0.0.1'];
    const f = new UrlFetcher({ allow: parseAllowList('Fixtures.Local'), allowedPorts: null, resolver });
    const r = await f.open(`http://fixtures.local:${main.port}/chunked`, live());
    expect((await readAll(r.body)).toString()).toBe('hello world');
    expect(main.requests[0]!.headers.host).toBe(`fixtures.local:${main.port}`);
    // Another name resolving to the same address is still refused.
    await expect(f.open(`http://other.local:${main.port}/chunked`, live())).rejects.toMatchObject({
      reason: 'address',
    });
  });
});

describe('DNS pinning', () => {
  it('resolves once and connects to the checked address (rebinding answer never used)', async () => {
    let calls = 0;
    const resolver: Resolver = async (host) => {
      calls++;
      expect(host).toBe('pinned.test');
      return calls === 1 ? ['127.0.0.1'] : ['10.66.66.66'];
    };
    const r = await fetcher({ resolver }).open(`http://pinned.test:${main.port}/chunked`, live());
    expect((await readAll(r.body)).toString()).toBe('hello world');
    expect(calls).toBe(1);
    // The original host name is kept for the Host header (and SNI); `.test` never resolves in real DNS.
    expect(main.requests[0]!.headers.host).toBe(`pinned.test:${main.port}`);
  });

  it('resolves exactly once per hop and re-checks each hop', async () => {
    const calls: string[] = [];
    const resolver: Resolver = async (host) => {
      calls.push(host);
      return ['127.0.0.1'];
    };
    const r = await fetcher({ resolver }).open(`http://pinned.test:${main.port}/r1`, live());
    await readAll(r.body);
    // /r1 → /r2 (relative, pinned.test) → absolute 127.0.0.1 literal (no lookup)
    expect(calls).toEqual(['pinned.test', 'pinned.test']);

    // A name that rebinds between hops is refused on the hop where it answers badly.
    let n = 0;
    const rebinding: Resolver = async () => (++n === 1 ? ['127.0.0.1'] : ['169.254.169.254']);
    const e = await rejection(fetcher({ resolver: rebinding }).open(`http://rebind.test:${main.port}/r1`, live()));
    expect(e).toMatchObject({ reason: 'address', hop: 1 });
    expect(n).toBe(2);
  });

  it('pins IPv6 answers too', async (ctx) => {
    if (!v6) return ctx.skip();
    v6.route('/v6', (_req, res) => {
      res.writeHead(200, { 'content-length': '2' });
      res.end('v6');
    });
    let calls = 0;
    const resolver: Resolver = async () => {
      calls++;
      return ['::1'];
    };
    const f = new UrlFetcher({ allow: parseAllowList('::1'), allowedPorts: null, resolver });
    const r = await f.open(`http://six.test:${v6.port}/v6`, live());
    expect((await readAll(r.body)).toString()).toBe('v6');
    expect(calls).toBe(1);
  });
});

describe('timeouts', () => {
  it('slow response headers → timeout (headers)', async () => {
    const t0 = Date.now();
    const e = await rejection(fetcher({ headersTimeoutMs: 300 }).open(main.url('/hang'), live()));
    expect(e).toBeInstanceOf(FetchFailedError);
    expect(e).toMatchObject({ kind: 'timeout', phase: 'headers' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('stalled body → timeout (body idle) while streaming', async () => {
    const r = await fetcher({ bodyIdleTimeoutMs: 300 }).open(main.url('/stall'), live());
    const { error, received } = await readUntilError(r.body);
    expect(error).toBeInstanceOf(FetchFailedError);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'body' });
    expect(received).toBe(10);
  });

  it('a trickling body hits the total timeout', async () => {
    const r = await fetcher({ bodyIdleTimeoutMs: 10_000, totalTimeoutMs: 500 }).open(main.url('/trickle'), live());
    const { error, received } = await readUntilError(r.body);
    expect(error).toMatchObject({ kind: 'timeout', phase: 'total' });
    expect(received).toBeGreaterThan(0);
  });

  it('the total timeout also covers waiting for headers', async () => {
    await expect(
      fetcher({ headersTimeoutMs: 10_000, totalTimeoutMs: 300 }).open(main.url('/hang'), live()),
    ).rejects.toMatchObject({ kind: 'timeout', phase: 'total' });
  });

  it('a hanging resolver → timeout (connect)', async () => {
    const resolver: Resolver = () => new Promise(() => undefined);
    await expect(
      new UrlFetcher({ resolver, connectTimeoutMs: 200 }).open('http://slow-dns.example.com/', live()),
    ).rejects.toMatchObject({ kind: 'timeout', phase: 'connect' });
  });
});

describe('size cap', () => {
  it('a declared Content-Length above maxBytes fails before streaming', async () => {
    const e = await rejection(fetcher({ maxBytes: 1000 }).open(main.url('/big-declared'), live()));
    expect(e).toBeInstanceOf(FetchTooLargeError);
    expect(e).toMatchObject({ limit: 1000, size: 2000 });
  });

  it('an undeclared body crossing maxBytes fails mid-stream', async () => {
    const r = await fetcher({ maxBytes: 1200 }).open(main.url('/big-chunked'), live());
    expect(r.size).toBeNull();
    const { error, received } = await readUntilError(r.body);
    expect(error).toBeInstanceOf(FetchTooLargeError);
    expect(error).toMatchObject({ limit: 1200 });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(1200);
    expect(r.body.destroyed).toBe(true);
  });

  it('a body of exactly maxBytes is fine', async () => {
    const r = await fetcher({ maxBytes: 1000 }).open(main.url('/exact-1000'), live());
    expect((await readAll(r.body)).length).toBe(1000);
  });
});

describe('abort signal', () => {
  it('an already-aborted signal rejects without connecting', async () => {
    const ac = new AbortController();
    const reason = new Error('gone');
    ac.abort(reason);
    await expect(fetcher().open(main.url('/img'), ac.signal)).rejects.toBe(reason);
    await expect(fetcher().head(main.url('/img'), ac.signal)).rejects.toBe(reason);
    await expect(fetcher().check(main.url('/img'), ac.signal)).rejects.toBe(reason);
    expect(connectAttempts).toEqual([]);
  });

  it('aborting while waiting for headers rejects with the reason and closes the connection', async () => {
    const ac = new AbortController();
    const p = fetcher().open(main.url('/hang'), ac.signal);
    while (main.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const reason = new Error('client went away');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
  });

  it('aborting mid-body destroys the stream and the connection', async () => {
    const ac = new AbortController();
    const serverSawClose = new Promise<void>((resolve) => {
      main.route('/endless', (_req, res) => {
        res.writeHead(200, {});
        const t = setInterval(() => res.write(Buffer.alloc(1024)), 5);
        res.on('close', () => {
          clearInterval(t);
          resolve();
        });
      });
    });
    const r = await fetcher().open(main.url('/endless'), ac.signal);
    const it = r.body[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const reason = new Error('cancelled');
    ac.abort(reason);
    await expect(it.next()).rejects.toBe(reason);
    expect(r.body.destroyed).toBe(true);
    await serverSawClose;
  });

  it('a default abort() reason is an AbortError', async () => {
    const ac = new AbortController();
    const p = fetcher().open(main.url('/hang'), ac.signal);
    while (main.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('scheme and port policy', () => {
  it.each([
    'file:///etc/passwd',
    'ftp://127.0.0.1/pub/x.img',
    'gopher://127.0.0.1:70/_x',
    'data:application/octet-stream;base64,AAAA',
    'javascript:alert(1)',
    'ws://127.0.0.1/',
    'filesystem:///var/lib/glance/images/x',
  ])('refuses %s', async (url) => {
    const e = await rejection(fetcher().open(url, live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect(e).toMatchObject({ reason: 'scheme' });
    expect(connectAttempts).toEqual([]);
  });

  it('refuses unparseable and host-less URLs', async () => {
    for (const url of ['', 'not a url', '/relative/path', 'http://', 'http://[fe80::1%25eth0]/']) {
      await expect(fetcher().open(url, live())).rejects.toMatchObject({ reason: 'invalid-url' });
    }
  });

  it('honours allowedSchemes', async () => {
    const e = await rejection(fetcher({ allowedSchemes: ['https'] }).open(main.url('/img'), live()));
    expect(e).toMatchObject({ reason: 'scheme' });
    expect(() => new UrlFetcher({ allowedSchemes: ['ftp'] })).toThrow(TypeError);
    // Scheme matching is case-insensitive (the URL parser lower-cases it).
    const r = await fetcher().open(main.url('/chunked').replace('http:', 'HTTP:'), live());
    await readAll(r.body);
  });

  it('defaults to ports 80 and 443 only, checked before connecting', async () => {
    const f = new UrlFetcher({ allow: ALLOW_LOOPBACK_1 });
    const e = await rejection(f.open(main.url('/img'), live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect(e).toMatchObject({ reason: 'port' });
    expect(connectAttempts).toEqual([]);
    expect(main.connections).toBe(0);
    expect(() => validateUrl('http://h/', { allowedSchemes: ['http'], allowedPorts: [80] })).not.toThrow();
    expect(() => validateUrl('https://h/', { allowedSchemes: ['https'], allowedPorts: [80] })).toThrow(FetchRefusedError);
    expect(() => validateUrl('http://h:443/', { allowedSchemes: ['http'], allowedPorts: [80, 443] })).not.toThrow();
    expect(() => validateUrl('http://h:8080/', { allowedSchemes: ['http'], allowedPorts: [80, 443] })).toThrow(
      FetchRefusedError,
    );
  });

  it('an explicit port list admits exactly those ports', async () => {
    const r = await fetcher({ allowedPorts: [main.port] }).open(main.url('/chunked'), live());
    await readAll(r.body);
    await expect(fetcher({ allowedPorts: [main.port + 1] }).head(main.url('/chunked'), live())).rejects.toMatchObject({
      reason: 'port',
    });
  });
});

describe('https', () => {
  let server: HttpsServer;
  let port = 0;
  const seen: Array<{ servername: string | false | null; host: string | undefined }> = [];

  beforeAll(async () => {
    server = createHttpsServer({ key: SECURE_TEST_KEY, cert: SECURE_TEST_CERT }, (req, res) => {
      seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host });
      res.writeHead(200, { 'content-length': '6' });
      res.end('secure');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const pinnedTo127: Resolver = async () => ['127.0.0.1'];

  it('connects to the pinned address with SNI and certificate check on the URL host name', async () => {
    let calls = 0;
    const resolver: Resolver = async () => {
      calls++;
      return ['127.0.0.1'];
    };
    const f = fetcher({ resolver, tls: { ca: SECURE_TEST_CERT } });
    const r = await f.open(`https://secure.test:${port}/x`, live());
    expect((await readAll(r.body)).toString()).toBe('secure');
    expect(calls).toBe(1);
    expect(seen).toEqual([{ servername: 'secure.test', host: `secure.test:${port}` }]);
  });

  it('verifies certificates by default', async () => {
    const e = await rejection(fetcher({ resolver: pinnedTo127 }).open(`https://secure.test:${port}/x`, live()));
    expect(e).toBeInstanceOf(FetchFailedError);
    expect(e).toMatchObject({ kind: 'network' });
    expect(seen).toEqual([]);
  });

  it('checks the certificate against the URL host, not the address', async () => {
    const e = await rejection(fetcher({ tls: { ca: SECURE_TEST_CERT } }).open(`https://127.0.0.1:${port}/x`, live()));
    expect(e).toMatchObject({ kind: 'network' });
    expect((e as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(seen).toEqual([]);
  });

  it('rejectUnauthorized: false skips verification (glance_store https_insecure)', async () => {
    const f = fetcher({ resolver: pinnedTo127, tls: { rejectUnauthorized: false } });
    const r = await f.open(`https://secure.test:${port}/x`, live());
    expect((await readAll(r.body)).toString()).toBe('secure');
  });
});

describe('credentials in URLs', () => {
  it('sends userinfo as Basic auth and never puts it in errors', async () => {
    const url = `http://alice:s3cr%40t@127.0.0.1:${main.port}/nope?token=abc`;
    const e = await rejection(fetcher().open(url, live()));
    expect(e).toMatchObject({ kind: 'status', status: 404 });
    const err = e as FetchFailedError;
    for (const text of [err.message, err.url, String(err.stack)]) {
      expect(text).not.toContain('alice');
      expect(text).not.toContain('s3cr');
      expect(text).not.toContain('abc');
    }
    expect(main.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cr@t').toString('base64')}`);
  });

  it('keeps credentials on same-origin redirects, drops them across origins', async () => {
    const same = await fetcher().open(`http://u:p@127.0.0.1:${main.port}/to-self-echo`, live());
    await readAll(same.body);
    expect(main.requests.map((r) => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('u:p').toString('base64')}`,
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    ]);
    expect(same.finalUrl).toBe(main.url('/echo'));

    const cross = await fetcher().open(`http://u:p@127.0.0.1:${main.port}/to-other`, live());
    await readAll(cross.body);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('refusal messages are redacted too', async () => {
    const e = await rejection(new UrlFetcher().open('http://bob:hunter2@10.0.0.1/x?sig=zzz', live()));
    expect(e).toBeInstanceOf(FetchRefusedError);
    expect((e as Error).message).not.toContain('hunter2');
    expect((e as Error).message).not.toContain('bob');
    expect((e as Error).message).not.toContain('zzz');
    expect(redactUrl('https://u:p@h.example/a/b?x=1#f')).toBe('https://h.example/a/b?…');
    expect(redactUrl('::garbage::')).toBe('<invalid URL>');
  });
});

describe('constructor validation', () => {
  it.each([
    { allowedPorts: [0] },
    { allowedPorts: [70000] },
    { maxRedirects: -1 },
    { maxBytes: 1.5 },
    { connectTimeoutMs: 0 },
    { totalTimeoutMs: -5 },
  ] as UrlFetcherOptions[])('rejects %j', (o) => {
    expect(() => new UrlFetcher(o)).toThrow(TypeError);
  });
});
