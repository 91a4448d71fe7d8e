import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Identity of a user token known to the fake Keystone. */
export interface FakeUserToken {
  projectId: string | null;
  userId: string;
  roles: string[];
  /** Absolute expiry (ms, on the test clock). */
  expiresAt: number;
}

export type FakeMode = 'ok' | 'error' | 'hang';

/**
 * A tiny Keystone v3 stand-in on 127.0.0.1: password auth (POST /v3/auth/tokens) for the service
 * user, and token validation (GET /v3/auth/tokens) of the user tokens in `users`.
 */
export class FakeKeystone {
  readonly users = new Map<string, FakeUserToken>();
  readonly serviceTokens = new Set<string>();
  mode: FakeMode = 'ok';
  /** Lifetime of issued service tokens (ms on the test clock). */
  serviceTokenLifetimeMs = 3_600_000;
  posts = 0;
  gets = 0;
  lastAuthBody: unknown = null;
  /** When set, token validations (GET) wait for it before answering: holds a cold cache open. */
  validationGate: Promise<void> | null = null;
  #seq = 0;
  #server: Server;
  #hung: ServerResponse[] = [];
  url = '';

  constructor(
    private readonly clock: { now: number },
    readonly credentials = { username: 'glance', password: 's3cret-service-pw', project: 'service' },
  ) {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v3`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const r of this.#hung) r.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  revokeServiceTokens(): void {
    this.serviceTokens.clear();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    if (this.mode === 'hang') {
      this.#hung.push(res);
      return;
    }
    if (this.mode === 'error') {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":503}}');
      return;
    }
    const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');
    if (req.url === '/v3/auth/tokens' && req.method === 'POST') {
      this.posts++;
      const doc = JSON.parse(body) as {
        auth: {
          identity: { password: { user: { name: string; password: string; domain: { name: string } } } };
          scope: { project: { name: string; domain: { name: string } } };
        };
      };
      this.lastAuthBody = doc;
      const u = doc.auth.identity.password.user;
      if (u.name !== this.credentials.username || u.password !== this.credentials.password) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":401}}');
        return;
      }
      const token = `svc-token-${++this.#seq}`;
      this.serviceTokens.add(token);
      const expiresAt = this.clock.now + this.serviceTokenLifetimeMs;
      res
        .writeHead(201, { 'content-type': 'application/json', 'x-subject-token': token })
        .end(JSON.stringify({ token: { expires_at: iso(expiresAt), methods: ['password'], user: { id: 'svc-user' } } }));
      return;
    }
    if (req.url === '/v3/auth/tokens' && req.method === 'GET') {
      this.gets++;
      if (this.validationGate !== null) await this.validationGate;
      const svc = req.headers['x-auth-token'];
      if (typeof svc !== 'string' || !this.serviceTokens.has(svc)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":401}}');
        return;
      }
      const subject = req.headers['x-subject-token'];
      const user = typeof subject === 'string' ? this.users.get(subject) : undefined;
      if (user === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-subject-token': String(subject) }).end(
        JSON.stringify({
          token: {
            expires_at: iso(user.expiresAt),
            issued_at: iso(this.clock.now),
            methods: ['password'],
            user: { id: user.userId, name: 'someone', domain: { id: 'default', name: 'Default' } },
            ...(user.projectId !== null ? { project: { id: user.projectId, name: 'p', domain: { id: 'default' } } } : {}),
            roles: user.roles.map((name, i) => ({ id: `r${i}`, name })),
          },
        }),
      );
      return;
    }
    res.writeHead(404).end();
  }
}

/** A port nothing listens on (bound then released). */
export async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/v3`;
}
