/** GET /v2/schemas/* (spec v2 §11): byte-for-byte the documents Glance Zed serves. */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startApi, type Api } from '../support/api-gateway.js';

const SPEC_DIR = '/work/shared/spec/v2-schemas';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

describe('schemas', () => {
  it.each(['image', 'images', 'member', 'members', 'task', 'tasks'])('/v2/schemas/%s equals %s.json byte for byte', async (name) => {
    let expected = await readFile(`${SPEC_DIR}/${name}.json`);
    // The one regenerated enum: the gateway also accepts (and lists) `export` tasks.
    if (name.startsWith('task')) {
      expected = Buffer.from(expected.toString('utf8').replace('"enum": ["import", "api_image_import"]', '"enum": ["import", "api_image_import", "export"]'));
    }
    const r = await api.call('GET', `/v2/schemas/${name}`);
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toBe('application/json');
    expect(r.body.equals(expected), `body differs from ${name}.json`).toBe(true);
    expect(r.header('content-length')).toBe(String(expected.length));
  });

  it('the documents do not depend on the caller', async () => {
    const admin = await api.call('GET', '/v2/schemas/image');
    const user = await api.call('GET', '/v2/schemas/image', { headers: as('p', 'reader') });
    expect(user.status).toBe(200);
    expect(user.body.equals(admin.body)).toBe(true);
  });

  it.each<[string, string]>([
    ['namespace', 'namespace'],
    ['namespaces', 'namespaces'],
    ['resource_type', 'resource_type_association'],
    ['resource_types', 'resource_type_associations'],
    ['property', 'property'],
    ['properties', 'properties'],
    ['object', 'object'],
    ['objects', 'objects'],
    ['tag', 'tag'],
    ['tags', 'tags'],
  ])('/v2/schemas/metadefs/%s has name %s and matches the saved file', async (path, name) => {
    const r = await api.call('GET', `/v2/schemas/metadefs/${path}`);
    expect(r.status).toBe(200);
    expect(r.json().name).toBe(name);
    const expected = await readFile(`${SPEC_DIR}/metadefs/${path}.json`);
    expect(r.body.equals(expected), `body differs from metadefs/${path}.json`).toBe(true);
  });

  it('unknown schema → 404; non-GET → 405 Allow: GET; a body on GET image schema → 400', async () => {
    expect((await api.call('GET', '/v2/schemas/bogus')).status).toBe(404);
    expect((await api.call('GET', '/v2/schemas/metadefs/bogus')).status).toBe(404);
    const put = await api.call('PUT', '/v2/schemas/images', { body: '{}' });
    expect(put.status).toBe(405);
    expect(put.header('allow')).toBe('GET');
    expect((await api.call('GET', '/v2/schemas/image', { body: 'x' })).status).toBe(400);
  });

  it('the image schema is what glanceclient needs: is_base false on the custom properties', async () => {
    const schema = (await api.call('GET', '/v2/schemas/image')).json();
    expect(schema.name).toBe('image');
    expect(schema.additionalProperties).toEqual({ type: 'string' });
    expect(schema.properties.os_distro.is_base).toBe(false);
    expect(schema.properties.name.is_base).toBeUndefined();
    expect(schema.properties.disk_format.enum).toEqual([null, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']);
  });
});
