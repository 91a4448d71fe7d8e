/**
 * openstackclient 6.0: visibility, protection, hidden images and schema-typed properties against
 * a real gateway. OSC acts as admin (noauth default); other projects' views use curl + headers.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tempDir, type Gateway, removeTempDirs } from './gateway.js';
import { ADMIN, as, randomFile, request } from './http.js';
import { ok, okJson, openstack } from './clients.js';

let gw: Gateway;
let src: string;
let pub = '';
let comm = '';
const os = (...args: string[]) => openstack(gw.url, args);
const ids = (rows: { ID: string }[]) => rows.map((r) => r.ID);
const listAs = async (project: string, query = '') =>
  (await request(gw.url, 'GET', `/v2/images${query}`, { headers: as(project) })).json().images.map((i: { id: string }) => i.id);

beforeAll(async () => {
  gw = await startGateway();
  src = path.join(tempDir('oscattr'), 'src.img');
  await randomFile(src, 64 * 1024);
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

describe('openstackclient image attributes', () => {
  it('public + protected image: delete refused until unprotected', async () => {
    const img = okJson(await os('image', 'create', '--public', '--protected', '--disk-format', 'raw',
      '--container-format', 'bare', '--file', src, '-f', 'json', 'osc-public'));
    pub = img.id;
    expect(img).toMatchObject({ visibility: 'public', protected: true });
    expect(await listAs('anyone')).toContain(pub);
    const del = await os('image', 'delete', pub);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/protected|403|Forbidden/i);
    expect(okJson(await os('image', 'show', '-f', 'json', pub))).toMatchObject({ status: 'active', protected: true });
    ok(await os('image', 'set', '--unprotected', pub));
    expect(okJson(await os('image', 'show', '-f', 'json', pub)).protected).toBe(false);
  });

  it('community image (reserved without data under a tty): visible to all, listed only on request', async () => {
    const img = okJson(
      await openstack(gw.url, ['image', 'create', '--community', '--disk-format', 'qcow2', '--container-format', 'bare',
        '-f', 'json', 'osc-community'], { tty: true }),
    );
    comm = img.id;
    const shown = okJson(await os('image', 'show', '-f', 'json', comm));
    expect(shown).toMatchObject({ visibility: 'community', status: 'queued' });
    expect(shown).not.toHaveProperty('size'); // OSC drops null fields: no data was uploaded
    expect((await request(gw.url, 'GET', `/v2/images/${comm}`, { headers: ADMIN })).json().size).toBeNull();
    expect((await request(gw.url, 'GET', `/v2/images/${comm}`, { headers: as('stranger') })).status).toBe(200);
    expect(await listAs('stranger')).not.toContain(comm);
    expect(await listAs('stranger', '?visibility=community')).toEqual([comm]);
    expect(ids(okJson(await os('image', 'list', '--community', '-f', 'json')))).toEqual([comm]);
    ok(await os('image', 'set', '--private', comm));
    expect((await request(gw.url, 'GET', `/v2/images/${comm}`, { headers: as('stranger') })).status).toBe(404);
    expect(ids(okJson(await os('image', 'list', '--private', '-f', 'json')))).toEqual([comm]);
  });

  it('hidden images leave the default list; --hidden lists them', async () => {
    ok(await os('image', 'set', '--hidden', pub));
    expect(okJson(await os('image', 'show', '-f', 'json', pub)).properties).toMatchObject({ os_hidden: true });
    expect(ids(okJson(await os('image', 'list', '-f', 'json')))).not.toContain(pub);
    expect(ids(okJson(await os('image', 'list', '--hidden', '-f', 'json')))).toEqual([pub]);
    expect(await listAs('anyone')).not.toContain(pub);
    ok(await os('image', 'set', '--unhidden', pub));
    expect(ids(okJson(await os('image', 'list', '-f', 'json')))).toContain(pub);
  });

  it('schema-typed properties: set, and a non-UUID kernel id refused with 400', async () => {
    ok(await os('image', 'set', '--os-distro', 'ubuntu', '--os-version', '22.04', '--architecture', 'x86_64', pub));
    const raw = (await request(gw.url, 'GET', `/v2/images/${pub}`, { headers: ADMIN })).json();
    expect(raw).toMatchObject({ os_distro: 'ubuntu', os_version: '22.04', architecture: 'x86_64' });
    const bad = await os('image', 'set', '--kernel-id', 'not-a-uuid', pub);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400|Bad Request|does not match/);
    expect((await request(gw.url, 'GET', `/v2/images/${pub}`, { headers: ADMIN })).json()).not.toHaveProperty('kernel_id');
  });

  it('disk format is fixed once the image has data (403), changeable while queued', async () => {
    const bad = await os('image', 'set', '--disk-format', 'qcow2', pub);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/403|Forbidden|can be only replaced for a queued image/);
    ok(await os('image', 'set', '--disk-format', 'raw', comm));
    expect(okJson(await os('image', 'show', '-f', 'json', comm)).disk_format).toBe('raw');
  });
});
