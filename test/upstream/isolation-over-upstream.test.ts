/**
 * The generated v1 isolation matrix (6 visibilities × protected × 6 callers × every route)
 * against a gateway in upstream mode: static tokens validated by the gateway, which forwards the
 * vouched context to an embedded noauth upstream. v1 reads go through the metadata cache, so
 * this is also the tenant-safety check of cached records across callers. (v2 is a passthrough
 * without cache: its isolation is the upstream's; the v2 matrix was run against it too but is
 * left out of `npm test` for time.)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

vi.mock('../isolation/fixture.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../isolation/fixture.js')>();
  const { DEFAULT_CONFIG } = await import('../../src/config/config.js');
  const { TOKENS, tokenOf } = await import('../isolation/rules.js');
  const { startPair } = await import('./fixture.js');
  return {
    ...actual,
    async startIsolationGateway() {
      const tokensFile = join(await mkdtemp(join(tmpdir(), 'gg-iso-up-')), 'tokens.json');
      const file: Record<string, unknown> = {};
      for (const [caller, identity] of Object.entries(TOKENS)) file[tokenOf(caller as keyof typeof TOKENS)] = identity;
      await writeFile(tokensFile, JSON.stringify(file));
      const pair = await startPair({ front: { auth: { ...DEFAULT_CONFIG.auth, mode: 'static', tokensFile } } });
      return { ...pair.front, stop: () => pair.stop() };
    },
  };
});

await import('../isolation/v1-matrix.test.js');
