/** Local HTTP fixture servers for the fetcher tests (127.0.0.x / ::1, ephemeral ports). */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, fixture: Fixture) => void;

export class Fixture {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  readonly #routes = new Map<string, Handler>();
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  readonly host: string;
  port = 0;

  private constructor(host: string) {
    this.host = host;
    this.#server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.requests.push({ method: req.method ?? '', path, headers: req.headers });
      const handler = this.#routes.get(path.split('?')[0] as string);
      if (handler) handler(req, res, this);
      else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    this.#server.on('connection', (s: Socket) => {
      this.connections++;
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  static async start(host = '127.0.0.1'): Promise<Fixture> {
    const f = new Fixture(host);
    await new Promise<void>((resolve, reject) => {
      f.#server.once('error', reject);
      f.#server.listen(0, host, () => resolve());
    });
    f.port = (f.#server.address() as AddressInfo).port;
    return f;
  }

  /** Starts a fixture, or returns null when the host address is not available here. */
  static async tryStart(host: string): Promise<Fixture | null> {
    try {
      return await Fixture.start(host);
    } catch {
      return null;
    }
  }

  route(path: string, handler: Handler): this {
    this.#routes.set(path, handler);
    return this;
  }

  /** `http://<host>:<port><path>`, IPv6 hosts bracketed; `hostOverride` replaces the authority host. */
  url(path: string, hostOverride?: string): string {
    const h = hostOverride ?? (this.host.includes(':') ? `[${this.host}]` : this.host);
    return `http://${h}:${this.port}${path}`;
  }

  /** Sockets currently open on the server side. */
  get openSockets(): number {
    return this.#sockets.size;
  }

  async waitForNoSockets(timeoutMs = 2000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.#sockets.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return this.#sockets.size;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const f = await Fixture.start();
  const port = f.port;
  await f.close();
  return port;
}
