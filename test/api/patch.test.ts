/** PATCH /v2/images/{id} (spec v2 §5.4). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, plainDetailError, plainError, startApi, V20, V21, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const ACCEPT_PATCH = 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch';
const OWNER = as('patcher');
const patch = (id: string, body: unknown, contentType = V21, headers = OWNER) =>
  api.call('PATCH', `/v2/images/${id}`, {
    headers: { ...headers, 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const fresh = (body: object = {}) => createImage(api, { name: 'p', ...body }, OWNER);

describe('media types', () => {
  it('v2.1 (RFC 6902 subset): add / replace / remove → 200 with the full image', async () => {
    const img = await fresh({ gone: 'x' });
    const r = await patch(img.id, [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/extra', value: 'e' },
      { op: 'remove', path: '/gone' },
      { op: 'replace', path: '/tags', value: ['t1', 't2', 't1'] },
      { op: 'add', path: '/min_disk', value: 4 },
    ]);
    expect(r.status, r.text).toBe(200);
    const out = r.json();
    expect(out).toMatchObject({ name: 'renamed', extra: 'e', min_disk: 4 });
    expect(out).not.toHaveProperty('gone');
    expect([...out.tags].sort()).toEqual(['t1', 't2']);
    expect((await api.call('GET', `/v2/images/${img.id}`)).json()).toEqual(out);
  });

  it('v2.0 (tempest dialect): {"replace": "/name", "value": …}', async () => {
    const img = await fresh();
    const r = await patch(img.id, [{ replace: '/name', value: 'v20' }, { add: '/k', value: 'v' }, { remove: '/k' }], V20);
    expect(r.status, r.text).toBe(200);
    expect(r.json().name).toBe('v20');
    expect(r.json()).not.toHaveProperty('k');
  });

  it('media type parameters are ignored', async () => {
    const img = await fresh();
    const r = await patch(img.id, [{ op: 'replace', path: '/name', value: 'cs' }], `${V21}; charset=UTF-8`);
    expect(r.status).toBe(200);
  });

  it.each(['application/json', 'application/json-patch+json', 'text/plain'])('%s → 415 with Accept-Patch', async (ct) => {
    const img = await fresh();
    const r = await patch(img.id, [], ct);
    expect(r.status).toBe(415);
    expect(r.header('accept-patch')).toBe(ACCEPT_PATCH);
    expect(r.text).toBe(`415 Unsupported Media Type\n\nThe request media type ${ct} is not supported by this server. \n\n `);
  });

  it('415 comes before the image lookup (unknown id) and without any Content-Type', async () => {
    const r = await patch('00000000-0000-0000-0000-000000000000', [], 'application/json');
    expect(r.status).toBe(415);
    const none = await api.call('PATCH', '/v2/images/00000000-0000-0000-0000-000000000000', { body: '[]' });
    expect(none.status).toBe(415);
    expect(none.header('accept-patch')).toBe(ACCEPT_PATCH);
  });
});

describe('body errors (spec v2 §5.4.2)', () => {
  let id = '';
  beforeAll(async () => {
    id = (await fresh()).id;
  });

  it('empty body → 400 Body expected', async () => {
    const r = await api.call('PATCH', `/v2/images/${id}`, { headers: { ...OWNER, 'Content-Type': V21 } });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', 'Body expected in request.'));
  });

  it.each<[string, string, unknown, string]>([
    ['not an array', V21, { op: 'add' }, 'Request body must be a JSON array of operation objects.'],
    ['element not an object', V21, [1], 'Operations must be JSON objects.'],
    ['v2.1 without op', V21, [{ path: '/name', value: 'x' }], 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.'],
    ['v2.1 op test', V21, [{ op: 'test', path: '/name', value: 'x' }], 'Invalid operation: `test`. It must be one of the following: add, remove, replace.'],
    ['v2.1 op move', V21, [{ op: 'move', from: '/a', path: '/name' }], 'Invalid operation: `move`. It must be one of the following: add, remove, replace.'],
    ['v2.1 without path', V21, [{ op: 'add', value: 'x' }], "Unable to find 'path' in JSON Schema change"],
    ['v2.0 with no op member', V20, [{ value: 'x' }], 'Operation objects must contain exactly one member named "add", "remove", or "replace".'],
    ['v2.0 with two op members', V20, [{ add: '/a', replace: '/a', value: 'x' }], 'Operation objects must contain only one member named "add", "remove", or "replace".'],
    ['pointer without leading /', V21, [{ op: 'replace', path: 'name', value: 'x' }], 'Pointer `name` does not start with "/".'],
    ['pointer with trailing /', V21, [{ op: 'replace', path: '/name/', value: 'x' }], 'Pointer `/name/` end with "/".'],
    ['bad ~ escape', V21, [{ op: 'add', path: '/na~2me', value: 'x' }], 'Pointer `/na~2me` contains "~" not part of a recognized escape sequence.'],
    ['/tags/0', V21, [{ op: 'add', path: '/tags/0', value: 'x' }], "Invalid JSON pointer for this resource: '/tags/0'"],
    ['/tags/-', V21, [{ op: 'add', path: '/tags/-', value: 'x' }], "Invalid JSON pointer for this resource: '/tags/-'"],
    ['add without value', V21, [{ op: 'add', path: '/name' }], 'Operation "add" requires a member named "value".'],
    ['replace without value (v2.0)', V20, [{ replace: '/name' }], 'Operation "replace" requires a member named "value".'],
  ])('%s → 400', async (_what, ct, body, message) => {
    const r = await patch(id, body, ct);
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it('malformed JSON and scalars → 400', async () => {
    expect((await patch(id, '[{"op": ')).status).toBe(400);
    expect((await patch(id, '"x"')).text).toBe(plainError('400 Bad Request', 'Unexpected body type. Expected list/dict.'));
  });

  it('path "/" → 400 (quirk §15 #10 fixed), nothing stored', async () => {
    const r = await patch(id, [{ op: 'add', path: '/', value: 'x' }]);
    expect(r.status).toBe(400);
    expect(Object.keys((await api.call('GET', `/v2/images/${id}`)).json())).not.toContain('');
  });

  it('schema violations → 400 "Provided object does not match schema"', async () => {
    for (const body of [
      [{ op: 'replace', path: '/min_ram', value: 'abc' }],
      [{ op: 'replace', path: '/name', value: 'n'.repeat(256) }],
      [{ op: 'add', path: '/extra', value: 5 }],
      [{ op: 'replace', path: '/visibility', value: 'bogus' }],
      [{ op: 'replace', path: '/disk_format', value: 'bogus' }],
      [{ op: 'replace', path: '/tags', value: 'not-a-list' }],
    ]) {
      const r = await patch(id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text).toContain("Provided object does not match schema 'image': ");
    }
  });

  it('negative min_ram → 400 with the Glance message', async () => {
    const r = await patch(id, [{ op: 'replace', path: '/min_ram', value: -5 }]);
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', "Invalid value '-5' for parameter 'min_ram': Cannot be a negative value"));
  });
});

describe('operation semantics (spec v2 §5.4.3)', () => {
  it.each(['status', 'size', 'checksum', 'created_at', 'updated_at', 'virtual_size', 'os_hash_algo', 'os_hash_value', 'id', 'self', 'file', 'schema', 'direct_url'])(
    'replace /%s → 403 read-only',
    async (key) => {
      const img = await fresh();
      const r = await patch(img.id, [{ op: 'replace', path: `/${key}`, value: 'x' }]);
      expect(r.status).toBe(403);
      expect(r.text).toBe(plainError('403 Forbidden', `Attribute '${key}' is read-only.`));
    },
  );

  it.each(['os_glance_import_task', 'location', 'deleted', 'deleted_at'])('add /%s → 403 reserved', async (key) => {
    const img = await fresh();
    const r = await patch(img.id, [{ op: 'add', path: `/${key}`, value: 'x' }]);
    expect(r.status).toBe(403);
    expect(r.text).toBe(plainError('403 Forbidden', `Attribute '${key}' is reserved.`));
  });

  it('v2.0 add of a base attribute or an existing extra property → 409', async () => {
    const img = await fresh({ k: 'v' });
    const base = await patch(img.id, [{ add: '/name', value: 'x' }], V20);
    expect(base.status).toBe(409);
    expect(base.text).toBe(plainDetailError('409 Conflict', 'There was a conflict when trying to complete your request.', 'Property name already present.'));
    expect((await patch(img.id, [{ add: '/k', value: 'w' }], V20)).status).toBe(409);
    const ok = await patch(img.id, [{ op: 'add', path: '/k', value: 'w' }]);
    expect(ok.status).toBe(200);
    expect(ok.json().k).toBe('w');
  });

  it('replace / remove of a missing extra property → 409; remove of a base attribute → 403', async () => {
    const img = await fresh();
    const rep = await patch(img.id, [{ op: 'replace', path: '/nope', value: 'x' }]);
    expect(rep.status).toBe(409);
    expect(rep.text).toBe(plainDetailError('409 Conflict', 'There was a conflict when trying to complete your request.', 'Property nope does not exist.'));
    expect((await patch(img.id, [{ op: 'remove', path: '/nope' }])).status).toBe(409);
    for (const key of ['name', 'tags', 'owner', 'min_ram']) {
      const r = await patch(img.id, [{ op: 'remove', path: `/${key}` }]);
      expect(r.status).toBe(403);
      expect(r.text).toBe(plainDetailError('403 Forbidden', 'Access was denied to this resource.', `Property ${key} may not be removed.`));
    }
  });

  it('[] → 200, nothing saved, updated_at unchanged', async () => {
    const img = await fresh();
    await new Promise((r) => setTimeout(r, 1100));
    const r = await patch(img.id, []);
    expect(r.status).toBe(200);
    expect(r.json()).toEqual(img);
    expect((await api.call('GET', `/v2/images/${img.id}`)).json().updated_at).toBe(img.updated_at);
  });

  it('all or nothing: a failing op leaves earlier ones unsaved', async () => {
    const img = await fresh({ name: 'keep' });
    const r = await patch(img.id, [{ op: 'replace', path: '/name', value: 'lost' }, { op: 'remove', path: '/missing' }]);
    expect(r.status).toBe(409);
    expect((await api.call('GET', `/v2/images/${img.id}`)).json().name).toBe('keep');
  });

  it('owner and public visibility: admin only', async () => {
    const img = await fresh();
    const owner = await patch(img.id, [{ op: 'replace', path: '/owner', value: 'elsewhere' }]);
    expect(owner.status).toBe(403);
    expect(owner.text).toBe(plainDetailError('403 Forbidden', 'Access was denied to this resource.', "Owner can't be updated by non admin."));
    expect((await patch(img.id, [{ op: 'add', path: '/owner', value: 'elsewhere' }])).status).toBe(403);
    const pub = await patch(img.id, [{ op: 'replace', path: '/visibility', value: 'public' }]);
    expect(pub.status).toBe(403);
    expect(pub.text).toBe(plainError('403 Forbidden', 'You are not authorized to complete publicize_image action.'));
    const admin = await patch(img.id, [{ op: 'replace', path: '/owner', value: 'elsewhere' }], V21, {});
    expect(admin.status).toBe(200);
    expect(admin.json().owner).toBe('elsewhere');
  });

  it('not owner → 403 "You do not own this image"; invisible → 404', async () => {
    const pub = await createImage(api, { visibility: 'community' }, as('someone'));
    const r = await patch(pub.id, [{ op: 'replace', path: '/name', value: 'x' }]);
    expect(r.status).toBe(403);
    expect(r.text).toBe(plainError('403 Forbidden', 'You do not own this image'));
    const priv = await createImage(api, { visibility: 'private' }, as('someone'));
    const inv = await patch(priv.id, [{ op: 'replace', path: '/name', value: 'x' }]);
    expect(inv.status).toBe(404);
    expect(inv.text).toBe(plainError('404 Not Found', `No image found with ID ${priv.id}`));
  });

  it('locations ops → 403 (show_multiple_locations off)', async () => {
    const img = await fresh();
    const r = await patch(img.id, [{ op: 'add', path: '/locations/-', value: { url: 'http://x/y', metadata: {} } }]);
    expect(r.status).toBe(403);
    expect(r.text).toBe(plainError('403 Forbidden', "It's not allowed to add locations if locations are invisible."));
    const rm = await patch(img.id, [{ op: 'remove', path: '/locations/0' }]);
    expect(rm.status).toBe(403);
    expect(rm.text).toBe(plainError('403 Forbidden', "It's not allowed to remove locations if locations are invisible."));
    const rep = await patch(img.id, [{ op: 'replace', path: '/locations', value: [{ url: 'http://x/y', metadata: {} }] }]);
    expect(rep.status).toBe(403);
    expect(rep.text).toBe(plainError('403 Forbidden', "It's not allowed to update locations if locations are invisible."));
    // Glance checks an empty replacement first (images.py _do_replace), in detail form.
    const empty = await patch(img.id, [{ op: 'replace', path: '/locations', value: [] }]);
    expect(empty.status).toBe(403);
    expect(empty.text).toBe(plainDetailError('403 Forbidden', 'Access was denied to this resource.', 'Cannot set locations to empty list.'));
  });

  it('pointer quirks: //name is /name, ~1 is a slash, ~0 a tilde', async () => {
    const img = await fresh();
    const r = await patch(img.id, [
      { op: 'replace', path: '//name', value: 'double' },
      { op: 'add', path: '/a~1b', value: 'slash' },
      { op: 'add', path: '/c~0d', value: 'tilde' },
    ]);
    expect(r.status, r.text).toBe(200);
    expect(r.json()).toMatchObject({ name: 'double', 'a/b': 'slash', 'c~d': 'tilde' });
  });
});
