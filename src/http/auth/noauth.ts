import type { IncomingHttpHeaders } from 'node:http';
import { makeContext, type RequestContext } from '../../core/context.js';
import type { Authenticator } from './authenticator.js';

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

/**
 * Glance's noauth flavor behind a trusted proxy: the context comes from the headers that
 * keystonemiddleware would have set. A request without them runs as admin in the default
 * project, as Glance's noauth treats every request as admin. Tokens are ignored, never read.
 */
export class NoAuthAuthenticator implements Authenticator {
  readonly mode = 'noauth';

  constructor(private readonly defaultProject: string) {}

  async authenticate(headers: IncomingHttpHeaders, requestId: string): Promise<RequestContext> {
    const project = first(headers['x-project-id']) ?? first(headers['x-tenant-id']);
    const user = first(headers['x-user-id']);
    const rolesHeader = first(headers['x-roles']);
    if (project === undefined && user === undefined && rolesHeader === undefined) {
      return makeContext({ projectId: this.defaultProject, userId: null, roles: ['admin'], requestId });
    }
    const roles = (rolesHeader ?? '')
      .split(',')
      .map((r) => r.trim().toLowerCase())
      .filter((r) => r !== '');
    return makeContext({ projectId: project ?? null, userId: user ?? null, roles, requestId });
  }
}
