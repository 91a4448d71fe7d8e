/**
 * The v1 HTTP suites run against a gateway in upstream mode over an embedded gateway, unchanged
 * but for the documented deviations (deleted images, changes-since, admin listing, locations:
 * `upstreamMode` branches). header-rules.test.ts is left out: it inspects the gateway's own
 * store, which upstream mode does not have (test/upstream/upload.test.ts covers its checks).
 */
import { vi } from 'vitest';

vi.mock('../support/api-gateway.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../support/api-gateway.js')>();
  const { upstreamStartApi } = await import('./upstream-api.js');
  return { ...actual, upstreamMode: true, startApi: upstreamStartApi(actual.startApi) };
});

await import('../v1-api/create-upload.test.js');
await import('../v1-api/read-delete.test.js');
await import('../v1-api/update.test.js');
await import('../v1-api/members.test.js');
await import('../v1-api/remote.test.js');
await import('../v1-api/list.test.js');
await import('../v1-api/compat.test.js');
await import('../v1-api/cross-dialect.test.js');
await import('../v1-api/errors-routing.test.js');
await import('../v1-api/quotas-misc.test.js');
await import('../v1-api/ssrf.test.js');
await import('../v1-api/status-matrix.test.js');
await import('../v1-api/usage.test.js');
