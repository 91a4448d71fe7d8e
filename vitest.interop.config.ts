import { defineConfig } from 'vitest/config';

// Interop suites: a real gateway process driven by real OpenStack clients and curl.
// Run through `npm run test:interop` (builds dist/, installs the Debian clients, then this).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
