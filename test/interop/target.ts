/**
 * Who the interop scenarios talk to, and as whom. A scenario takes a Target instead of a bare
 * gateway URL, so the same client scenario runs against the embedded gateway (noauth identity
 * headers) and against the gateway in upstream mode in front of a real Glance, with noauth
 * headers or with real Keystone tokens.
 */
import { createHash } from 'node:crypto';
import { as } from './http.js';

/** One caller identity: raw-HTTP headers, and what the Python helpers need to act as it. */
export interface Who {
  project: string;
  roles: string;
  /** Headers for raw HTTP / curl (noauth identity headers, or X-Auth-Token). */
  headers: Record<string, string>;
  /** Keystone token (keystone targets only); the Python helpers then send it instead of headers. */
  token?: string;
}

export interface Target {
  /** The gateway's base URL. */
  url: string;
  /** How callers identify themselves: noauth identity headers or Keystone tokens. */
  auth: 'noauth' | 'keystone';
  /** Token the CLI clients send: they act as the admin caller. */
  token: string;
  /** Project id that owns what the admin caller creates. */
  adminProject: string;
  /** Raw-HTTP headers of the admin caller. */
  admin: Record<string, string>;
  /**
   * A caller in a project other than the admin's, by a label the scenario picks ('b', 'x' ...);
   * the same label is the same project. `label` 'admin' is the admin project with `roles`.
   */
  who(label: string, roles?: string): Who;
  /** Set when the gateway fronts a real Glance (upstream mode); the scenario then asserts the
   * documented upstream behaviour where v1 deviates (spec v1-api.md 7.3/7.4). */
  upstream?: UpstreamGlance;
}

/** Direct access to the Glance behind the gateway (to check that data really lives there). */
export interface UpstreamGlance {
  url: string;
  /** Admin headers for Glance itself. */
  admin: Record<string, string>;
}

/** The gateway's noauth mode (embedded or upstream): identity headers, CLI = admin of `admin`. */
export function noauthTarget(url: string, tag: string, upstream?: UpstreamGlance): Target {
  return {
    url,
    auth: 'noauth',
    token: 'noauth-token',
    adminProject: 'admin',
    admin: as('admin', 'admin', 'admin-user'),
    who(label, roles = 'member') {
      // 32 hex digits like a Keystone project id (openstackclient takes those as ids, not names).
      const project = label === 'admin' ? 'admin' : createHash('md5').update(`${label}-${tag}`).digest('hex');
      return { project, roles, headers: as(project, roles) };
    },
    ...(upstream ? { upstream } : {}),
  };
}

/** Environment for the Python helpers acting as `who` (gc_as.py, *_scenario.py). */
export function whoEnv(who: Who): Record<string, string> {
  return who.token ? { GG_AS_TOKEN: who.token } : {};
}
