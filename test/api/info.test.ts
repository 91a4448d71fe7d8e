/** /v2/info/* and /v2/images/{id}/tasks (spec v2 §5.7, §7.1). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, plainError, startApi, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

describe('info', () => {
  it.each([{}, as('p1', 'member'), as('p1', 'reader')])('GET /v2/info/import → 200 for anyone (%j)', async (headers) => {
    const r = await api.call('GET', '/v2/info/import', { headers });
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toBe('application/json');
    expect(r.json()).toEqual({
      'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct', 'web-download'] },
    });
  });


  it('GET /v2/info/usage → 200 {"usage": {}}', async () => {
    const r = await api.call('GET', '/v2/info/usage', { headers: as('p1') });
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toBe('application/json');
    expect(r.json()).toEqual({ usage: {} });
  });

  it.each(['/v2/info/stores', '/v2/info/stores/detail'])('GET %s → 404 on a single-store deployment', async (path) => {
    const r = await api.call('GET', path);
    expect(r.status).toBe(404);
    expect(r.text).toBe(plainError('404 Not Found', 'Multi backend is not supported at this site.'));
  });

  it('a body on GET /v2/info/import → 400', async () => {
    expect((await api.call('GET', '/v2/info/import', { body: 'x' })).status).toBe(400);
  });
});

describe('GET /v2/images/{id}/tasks', () => {
  it('200 {"tasks": []} for a fresh image; 404 for an invisible one', async () => {
    const img = await createImage(api, { visibility: 'private' }, as('tasker'));
    const r = await api.call('GET', `/v2/images/${img.id}/tasks`, { headers: as('tasker') });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ tasks: [] });
    const hidden = await api.call('GET', `/v2/images/${img.id}/tasks`, { headers: as('other') });
    expect(hidden.status).toBe(404);
  });

  it('raw task rows after a glance-direct import: key order and microsecond times without Z', async () => {
    const h = as('tasker');
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, h);
    const stage = await api.call('PUT', `/v2/images/${img.id}/stage`, {
      headers: { ...h, 'Content-Type': 'application/octet-stream', 'X-Openstack-Request-ID': 'req-import-1' },
      body: Buffer.from('abc'),
    });
    expect(stage.status).toBe(204);
    const imp = await api.call('POST', `/v2/images/${img.id}/import`, {
      headers: { ...h, 'X-Openstack-Request-ID': 'req-import-2', 'X-User-Id': 'user1' },
      body: { method: { name: 'glance-direct' } },
    });
    expect(imp.status).toBe(202);
    let task: Record<string, unknown> | undefined;
    for (let i = 0; i < 200; i++) {
      const r = await api.call('GET', `/v2/images/${img.id}/tasks`, { headers: h });
      task = r.json().tasks[0];
      if (task?.status === 'success' || task?.status === 'failure') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(Object.keys(task!)).toEqual([
      'id', 'type', 'status', 'owner', 'expires_at', 'created_at', 'updated_at', 'deleted_at', 'deleted', 'image_id',
      'request_id', 'user_id', 'input', 'result', 'message',
    ]);
    expect(task).toMatchObject({
      type: 'api_image_import',
      status: 'success',
      owner: 'tasker',
      deleted_at: null,
      deleted: false,
      image_id: img.id,
      request_id: 'req-import-2',
      result: { image_id: img.id },
      input: { image_id: img.id, import_req: { method: { name: 'glance-direct' } }, backend: [null] },
      message: 'Copied 0 MiB',
    });
    for (const k of ['created_at', 'updated_at', 'expires_at']) expect(task![k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const expires = Date.parse(`${task!.expires_at as string}Z`) - Date.parse(`${task!.updated_at as string}Z`);
    expect(Math.abs(expires - 48 * 3600_000)).toBeLessThan(5000);
  });
});
