import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

describe('a v1 create whose external source is refused', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it.each([
    ['x-glance-api-copy-from', 'http://127.0.0.1/img'],
    ['x-image-meta-location', 'http://169.254.169.254/latest'],
  ])('reserves nothing, not even a deleted row (%s)', async (header, url) => {
    const name = `refused-${header}`;
    const before = new Date(Date.now() - 60_000).toISOString();
    const res = await fetch(`${h.url}/v1/images`, {
      method: 'POST',
      headers: {
        'x-image-meta-name': name,
        'x-image-meta-disk_format': 'raw',
        'x-image-meta-container_format': 'bare',
        [header]: url,
      },
    });
    expect(res.status).toBe(400);
    // changes-since also lists deleted and killed images to admins.
    const list = await fetch(`${h.url}/v1/images/detail?changes-since=${encodeURIComponent(before)}&name=${name}`);
    expect(((await list.json()) as { images: unknown[] }).images).toEqual([]);
  });
});
