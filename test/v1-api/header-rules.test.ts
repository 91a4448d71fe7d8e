/** x-image-meta-* parsing and validation over HTTP (spec v1 §1.3, §2); cap 64 KiB (API_LIMITS). */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW, as, chunked, createV1, headMeta, headV1, md5, meta, postV1, putV1, startApi, type Api } from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const MIX = "Invalid mix of disk and container formats. When setting a disk or container format to one of 'aki', 'ari', or 'ami', the container and disk formats must match.";

async function expect400(headers: Record<string, string>, message: string): Promise<void> {
  const r = await postV1(api, headers);
  expect(r.status, JSON.stringify(headers)).toBe(400);
  expect(r.text).toContain(message);
}

/** Every file below the data dir whose name contains `id`. */
async function storedFiles(id: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else if (e.name.includes(id)) out.push(e.name);
    }
  };
  await walk(api.config.dataDir);
  return out;
}

describe('header names and values', () => {
  it('an unknown x-image-meta-* header is 400 Bad header (lower-cased), on POST and PUT', async () => {
    await expect400({ 'X-Image-Meta-Foo': 'bar' }, 'Bad header: x-image-meta-foo');
    const image = await createV1(api, meta({ name: 'h' }));
    const r = await putV1(api, image.id, { 'x-image-meta-color': 'red' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('Bad header: x-image-meta-color');
  });

  it('x-image-meta-disk-format is x-image-meta-disk_format; other headers are ignored', async () => {
    const image = await createV1(api, { 'x-image-meta-disk-format': 'qcow2', 'x-image-meta-container-format': 'bare', 'x-glance-api-property-x': '1' });
    expect(image).toMatchObject({ disk_format: 'qcow2', container_format: 'bare', properties: {} });
  });

  it('integers: Python int() rules; garbage and negatives are 400', async () => {
    const image = await createV1(api, { 'x-image-meta-min_ram': ' +12 ', 'x-image-meta-min_disk': '3' });
    expect(image).toMatchObject({ min_ram: 12, min_disk: 3 });
    await expect400({ 'x-image-meta-size': 'abc' }, "Invalid value 'abc' for parameter 'size': Cannot convert image size 'abc' to an integer.");
    await expect400({ 'x-image-meta-min_ram': '1.5' }, "Cannot convert image min_ram '1.5' to an integer.");
    await expect400({ 'x-image-meta-min_disk': '-1' }, "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value.");
    await expect400({ 'x-image-meta-size': '-5' }, 'Cannot be a negative value.');
    expect((await postV1(api, { 'x-image-meta-size': '' })).status).toBe(400);
  });

  it('min_ram/min_disk above 2^31-1 are 400; the maximum itself is accepted', async () => {
    await expect400({ 'x-image-meta-min_ram': '2147483648' }, "'min_ram' value out of range, must not exceed 2147483647.");
    await expect400({ 'x-image-meta-min_disk': '99999999999' }, "'min_disk' value out of range");
    expect((await createV1(api, { 'x-image-meta-min_ram': '2147483647' })).min_ram).toBe(2147483647);
  });

  it('booleans are lenient and never an error', async () => {
    const cases: Array<[string, string]> = [['true', 'True'], ['T', 'True'], ['yes', 'True'], ['Y', 'True'], ['On', 'True'], ['1', 'True'],
      ['garbage', 'False'], ['None', 'False'], ['', 'False'], ['0', 'False'], ['false', 'False']];
    for (const [sent, shown] of cases) {
      const r = await postV1(api, { 'x-image-meta-protected': sent, 'x-image-meta-is_public': sent === '' ? '' : 'nope' });
      expect(r.status, sent).toBe(201);
      const id = r.json().image.id;
      expect((await headMeta(api, id)).fields.protected, sent).toBe(shown);
      if (shown === 'True') await putV1(api, id, { 'x-image-meta-protected': 'f' });
    }
  });

  it('time fields are validated, then ignored', async () => {
    await expect400({ 'x-image-meta-created_at': 'yesterday' }, 'Invalid time format for created_at.');
    expect((await postV1(api, { 'x-image-meta-updated_at': '2015-01-01T00:00:00' })).status).toBe(201);
  });
});

describe('formats and lengths', () => {
  it('unknown or empty formats are 400', async () => {
    await expect400({ 'x-image-meta-disk_format': 'wrong', 'x-image-meta-container_format': 'bare' }, "Invalid disk format 'wrong' for image.");
    await expect400({ 'x-image-meta-container_format': 'wrong', 'x-image-meta-disk_format': 'vhd' }, "Invalid container format 'wrong' for image.");
    await expect400({ 'x-image-meta-disk_format': '' }, "Invalid disk format 'None' for image.");
  });

  it('the amazon rule: one side copied, a mismatch 400', async () => {
    expect(await createV1(api, meta({ disk_format: 'ami' }))).toMatchObject({ disk_format: 'ami', container_format: 'ami' });
    expect(await createV1(api, meta({ container_format: 'aki' }))).toMatchObject({ disk_format: 'aki', container_format: 'aki' });
    await expect400(meta({ disk_format: 'ami', container_format: 'bare' }), MIX);
    await expect400(meta({ disk_format: 'raw', container_format: 'ari' }), MIX);
    expect(await createV1(api, meta({ disk_format: 'ari', container_format: 'ari' }))).toMatchObject({ disk_format: 'ari' });
  });

  it('name up to 255 characters; 256 is 400', async () => {
    expect((await createV1(api, meta({ name: 'n'.repeat(255) }))).name).toHaveLength(255);
    await expect400(meta({ name: 'n'.repeat(256) }), 'Image name too long: 256');
  });

  it('checksum longer than 32 characters is 400', async () => {
    const c = 'a'.repeat(33);
    await expect400(meta({ checksum: c }), `Invalid checksum '${c}': can't exceed 32 characters`);
  });

  it('a size or Content-Length above the cap is 400; a chunked body growing above it 413', async () => {
    await expect400(meta({ size: 65537 }), 'Denying attempt to upload image larger than 65536 bytes.');
    const big = Buffer.alloc(65537);
    const cl = await postV1(api, meta({ name: 'big', ...RAW }), big);
    expect(cl.status).toBe(400);
    expect(cl.text).toContain('Denying attempt to upload image larger than 65536 bytes.');
    const image = await createV1(api, meta({ name: 'chunky', ...RAW }));
    const r = await putV1(api, image.id, {}, chunked(big, 8));
    expect(r.status).toBe(413);
    expect((await headMeta(api, image.id)).fields.status).not.toBe('active');
  });
});

describe('declared size and checksum are verified', () => {
  async function expectKilled(id: string): Promise<void> {
    const m = await headMeta(api, id);
    expect(m.fields.status).toBe('killed');
    expect((await api.call('GET', `/v1/images/${id}`)).status).toBe(404);
    expect((await api.call('GET', `/v1/images/${id}/file`)).status).toBe(404);
    const listed = await api.call('GET', '/v1/images/detail?limit=1000');
    expect(listed.json().images.map((i: { id: string }) => i.id)).not.toContain(id);
    expect(await storedFiles(id)).toEqual([]);
  }

  it('control: an uploaded image has its bytes in the store', async () => {
    const image = await createV1(api, meta({ name: 'ok', ...RAW }), Buffer.from('kept'));
    expect((await storedFiles(image.id)).length).toBeGreaterThan(0);
  });

  it('POST with a wrong size: 400, no data kept, image killed and not listed', async () => {
    const name = `badsize-${Date.now()}`;
    // 'ten bytes!' is 10 bytes long.
    const r2 = await postV1(api, meta({ name, ...RAW, size: 11 }), chunked(Buffer.from('ten bytes!')));
    expect(r2.status).toBe(400);
    expect(r2.text).toContain('Supplied size (11) and size generated from uploaded image (10) did not match.');
    const images = (await api.call('GET', `/v1/images/detail?name=${name}&changes-since=2000-01-01`)).json().images;
    expect(images.length).toBe(1);
    await expectKilled(images[0].id);
  });

  it('POST with a wrong checksum: 400 and killed', async () => {
    const name = `badsum-${Date.now()}`;
    const r = await postV1(api, meta({ name, ...RAW, checksum: md5('something else') }), Buffer.from('payload'));
    expect(r.status).toBe(400);
    expect(r.text).toContain('did not match');
    const images = (await api.call('GET', `/v1/images/detail?name=${name}&changes-since=2000-01-01`)).json().images;
    expect(images.length).toBe(1);
    await expectKilled(images[0].id);
  });

  it('a reserve declaring size N, then an upload of another size: 400 and killed', async () => {
    const image = await createV1(api, meta({ name: 'reserved', ...RAW, size: 100 }));
    expect(image.status).toBe('queued');
    const r = await putV1(api, image.id, {}, chunked(Buffer.alloc(99)));
    expect(r.status).toBe(400);
    await expectKilled(image.id);
  });

  it('a reserve declaring a checksum, then other bytes: 400 and killed; the right bytes succeed', async () => {
    const good = Buffer.from('the right bytes');
    const bad = await createV1(api, meta({ name: 'sum', ...RAW, checksum: md5(good) }));
    expect((await putV1(api, bad.id, {}, Buffer.from('the wrong bytes'))).status).toBe(400);
    await expectKilled(bad.id);
    const ok = await createV1(api, meta({ name: 'sum2', ...RAW, checksum: md5(good), size: good.length }));
    const r = await putV1(api, ok.id, {}, good);
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ status: 'active', checksum: md5(good) });
  });

  it('a killed image: HEAD works for its owner; a further upload is 409', async () => {
    const image = await createV1(api, { ...meta({ name: 'k', ...RAW, size: 5 }), ...as('alice') });
    expect((await putV1(api, image.id, as('alice'), Buffer.from('123'))).status).toBe(400);
    expect((await headV1(api, image.id, as('alice'))).status).toBe(200);
    expect((await putV1(api, image.id, as('alice'), Buffer.from('12345'))).status).toBe(409);
  });
});
