import { clientFamily, type ClientFamily } from './user-agent.js';

interface Counter {
  client: string;
  version: string | null;
  route: string;
  project: string | null;
  count: number;
  first_seen: number;
  last_seen: number;
}

/**
 * Migration telemetry: who still speaks v1. Counts every v1 request by client (User-Agent
 * family and version), route and project, so operators can see when v1 can be turned off.
 * In memory, per process; bounded so a client inventing user agents cannot grow it forever.
 */
export class V1Usage {
  private readonly counters = new Map<string, Counter>();
  /** User-Agent strings repeat; parsing each once keeps the hot path (HEAD) cheap. */
  private readonly families = new Map<string, ClientFamily>();
  private dropped = 0;
  private readonly started = new Date().toISOString();

  constructor(private readonly maxEntries = 10_000) {}

  record(userAgent: string | undefined, route: string, project: string | null, now = Date.now()): ClientFamily {
    const ua = userAgent ?? '';
    let parsed = this.families.get(ua);
    if (parsed === undefined) {
      parsed = clientFamily(userAgent);
      if (this.families.size < this.maxEntries) this.families.set(ua, parsed);
    }
    const { family, version } = parsed;
    const key = `${family}\u0000${version ?? ''}\u0000${route}\u0000${project ?? ''}`;
    const at = now;
    const c = this.counters.get(key);
    if (c !== undefined) {
      c.count++;
      c.last_seen = at;
    } else if (this.counters.size < this.maxEntries) {
      this.counters.set(key, { client: family, version, route, project, count: 1, first_seen: at, last_seen: at });
    } else {
      this.dropped++;
    }
    return { family, version };
  }

  report(): { since: string; total: number; dropped: number; usage: Array<Omit<Counter, 'first_seen' | 'last_seen'> & { first_seen: string; last_seen: string }> } {
    const usage = [...this.counters.values()]
      .sort((a, b) => b.count - a.count)
      .map((c) => ({ ...c, first_seen: new Date(c.first_seen).toISOString(), last_seen: new Date(c.last_seen).toISOString() }));
    return { since: this.started, total: usage.reduce((n, c) => n + c.count, 0) + this.dropped, dropped: this.dropped, usage };
  }
}
