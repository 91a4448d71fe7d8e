/** What the upstream is told about the caller (callerHeaders). */
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/core/context.js';
import { callerHeaders } from '../../src/upstream/client.js';

describe('callerHeaders', () => {
  it('a member: token, project (both names), user, roles, Confirmed, request id', () => {
    const h = callerHeaders(makeContext({ projectId: 'p1', userId: 'u1', roles: ['member', 'reader'], requestId: 'req-1', authToken: 'tok' }));
    expect(h).toEqual({
      'x-identity-status': 'Confirmed',
      'x-roles': 'member,reader',
      'x-openstack-request-id': 'req-1',
      'x-auth-token': 'tok',
      'x-project-id': 'p1',
      'x-tenant-id': 'p1',
      'x-user-id': 'u1',
    });
  });

  it('a non-admin without a project is never sent without one (a trusting upstream would make it admin)', () => {
    const h = callerHeaders(makeContext({ userId: 'u2', roles: [], requestId: 'req-2' }));
    expect(h['x-project-id']).toBe('anonymous');
    expect(h['x-roles']).toBe('');
    const anon = callerHeaders(makeContext({ requestId: 'req-3', readOnly: true }));
    expect(anon['x-project-id']).toBe('anonymous');
    expect(anon['x-auth-token']).toBeUndefined();
  });

  it('an admin context always carries the admin role; an over-long request id is left out', () => {
    const h = callerHeaders(makeContext({ projectId: 'adm', roles: [], isAdmin: true, requestId: `req-${'x'.repeat(64)}` }));
    expect(h['x-roles']).toBe('admin');
    expect(h['x-openstack-request-id']).toBeUndefined();
  });
});
