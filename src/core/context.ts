/**
 * Who is calling. Built by the auth middleware of the HTTP layer; every core call takes one.
 * `authToken` is kept only so an upstream core can forward it; it must never be logged.
 */
export interface RequestContext {
  projectId: string | null;
  userId: string | null;
  roles: string[];
  isAdmin: boolean;
  requestId: string;
  /** Anonymous read-only context: every mutating call is refused with 403 "Read-only access". */
  readOnly: boolean;
  authToken?: string;
}

export function makeContext(partial: Partial<RequestContext> & { requestId: string }): RequestContext {
  const roles = partial.roles ?? [];
  return {
    projectId: partial.projectId ?? null,
    userId: partial.userId ?? null,
    roles,
    isAdmin: partial.isAdmin ?? roles.includes('admin'),
    requestId: partial.requestId,
    readOnly: partial.readOnly ?? false,
    ...(partial.authToken !== undefined ? { authToken: partial.authToken } : {}),
  };
}
