import { clientFamily } from './user-agent.js';

interface Counter {
  client: string;
  version: string | null;
  route: string;
  project: string | null;
  count: number;
  first_seen: string;
  last_seen: string;
}

/**
 * Migration telemetry: who still speaks v1. Counts every v1 request by client (User-Agent
 * family and version), route and project, so operators can see when v1 can be turned off.
 * In memory, per process; bounded so a client inventing user agents cannot grow it forever.
 */
export class V1Usage {
  private readonly counters = new Map<string, Counter>();
  private dropped = 0;
  private readonly started = new Date().toISOString();

  constructor(private readonly maxEntries = 10_000) {}

  record(userAgent: string | undefined, route: string, project: string | null, now = new Date()): { family: string; version: string | null } {
    const { family, version } = clientFamily(userAgent);
    const key = JSON.stringify([family, version, route, project]);
    const at = now.toISOString();
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

  report(): { since: string; total: number; dropped: number; usage: Counter[] } {
    const usage = [...this.counters.values()].sort((a, b) => b.count - a.count);
    return { since: this.started, total: usage.reduce((n, c) => n + c.count, 0) + this.dropped, dropped: this.dropped, usage };
  }
}
