/**
 * The v1 HTTP suites (create/upload, HEAD/download/delete, update, members, copy-from and
 * locations) run unchanged against a gateway in upstream mode over an embedded gateway.
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
