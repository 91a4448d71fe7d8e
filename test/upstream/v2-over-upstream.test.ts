/**
 * v2 in upstream mode is a streaming passthrough: every v2 HTTP suite of test/api runs unchanged
 * through a gateway in upstream mode over an embedded one.
 */
import { vi } from 'vitest';

vi.mock('../support/api-gateway.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../support/api-gateway.js')>();
  const { upstreamStartApi } = await import('./upstream-api.js');
  return { ...actual, upstreamMode: true, startApi: upstreamStartApi(actual.startApi) };
});

await import('../api/images.test.js');
await import('../api/data.test.js');
await import('../api/members.test.js');
await import('../api/tags.test.js');
await import('../api/patch.test.js');
await import('../api/list.test.js');
await import('../api/upload-lifecycle.test.js');
await import('../api/errors.test.js');
await import('../api/authz.test.js');
await import('../api/bad-input.test.js');
await import('../api/info.test.js');
await import('../api/quotas.test.js');
await import('../api/schemas.test.js');
await import('../api/versions.test.js');
