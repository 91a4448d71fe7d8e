import { describe, expect, it } from 'vitest';
import { IMAGE_STATUSES, type ImageStatus } from '../../src/core/image.js';
import {
  imageToV1,
  isV1HiddenProperty,
  utf8AsLatin1,
  v1IndexItem,
  v1MetaHeaders,
  v1Status,
  v1Time,
} from '../../src/http/v1/render.js';
import { activeImage, ID, makeImage, MD5, P, T0 } from './fixtures.js';

const BOOKKEEPING = {
  os_glance_importing_to_stores: '',
  os_glance_failed_import: '',
  os_glance_stage_host: 'http://host',
  os_glance_import_task: 'task',
};

describe('v1Time', () => {
  it.each([
    [0, '1970-01-01T00:00:00.000000'],
    [Date.UTC(2016, 4, 10, 21, 41, 41), '2016-05-10T21:41:41.000000'],
    [Date.UTC(2016, 1, 25, 3, 2, 5, 123), '2016-02-25T03:02:05.123000'],
    [Date.UTC(1999, 11, 31, 23, 59, 59, 999), '1999-12-31T23:59:59.999000'],
  ])('%i → %s', (ms, want) => {
    expect(v1Time(ms)).toBe(want);
  });
});

describe('v1Status (§7.2)', () => {
  const want: Record<ImageStatus, string> = {
    queued: 'queued',
    saving: 'saving',
    active: 'active',
    killed: 'killed',
    deleted: 'deleted',
    pending_delete: 'pending_delete',
    deactivated: 'deactivated',
    uploading: 'saving',
    importing: 'saving',
  };
  it.each(IMAGE_STATUSES.map((s) => [s, want[s]]))('%s → %s', (status, v1) => {
    expect(v1Status({ status, properties: {} })).toBe(v1);
  });

  it.each([
    ['queued', 'file1', 'killed'],
    ['queued', '', 'queued'],
    ['active', 'file1', 'active'],
    ['importing', 'file1', 'saving'],
  ] as const)('%s with os_glance_failed_import %j → %s', (status, failed, v1) => {
    expect(v1Status({ status, properties: { os_glance_failed_import: failed } })).toBe(v1);
  });
});

describe('imageToV1 (§1.5)', () => {
  it('the api-ref sample, key for key', () => {
    const image = makeImage({
      id: 'de2f2211-3ac7-4260-9142-41db0ecfb425',
      name: 'Fake Image',
      status: 'active',
      disk_format: 'raw',
      container_format: 'bare',
      size: 3908,
      checksum: MD5,
      owner: P,
      created_at: Date.UTC(2016, 4, 10, 21, 41, 41),
      updated_at: Date.UTC(2016, 4, 10, 21, 41, 41),
      properties: { foo: 'bar', ...BOOKKEEPING },
      tags: ['hidden-from-v1'],
      os_hash_algo: 'sha512',
      os_hash_value: 'ff'.repeat(64),
    });
    expect(JSON.stringify(imageToV1(image))).toBe(
      JSON.stringify({
        checksum: '7b1b10607acc1319506185e7227ca30d',
        container_format: 'bare',
        created_at: '2016-05-10T21:41:41.000000',
        deleted: false,
        deleted_at: null,
        disk_format: 'raw',
        id: 'de2f2211-3ac7-4260-9142-41db0ecfb425',
        is_public: false,
        min_disk: 0,
        min_ram: 0,
        name: 'Fake Image',
        owner: 'c60b1d57c5034e0d86902aedf8c49be0',
        properties: { foo: 'bar' },
        protected: false,
        size: 3908,
        status: 'active',
        updated_at: '2016-05-10T21:41:41.000000',
        virtual_size: null,
      }),
    );
  });

  it('§3.9 reserve response: size null → 0, status queued', () => {
    expect(imageToV1(makeImage())).toStrictEqual({
      id: ID,
      name: 'New Name',
      status: 'queued',
      size: 0,
      checksum: null,
      container_format: 'ami',
      disk_format: 'ami',
      is_public: false,
      protected: false,
      min_ram: 0,
      min_disk: 0,
      owner: P,
      properties: { prop1: 'val1' },
      deleted: false,
      deleted_at: null,
      virtual_size: null,
      created_at: '2024-01-02T03:04:05.000000',
      updated_at: '2024-01-02T03:04:05.000000',
    });
  });

  it.each([
    ['public', true],
    ['shared', false],
    ['private', false],
    ['community', false],
  ] as const)('visibility %s → is_public %s', (visibility, isPublic) => {
    expect(imageToV1(makeImage({ visibility })).is_public).toBe(isPublic);
  });

  it('size null → 0 in every status; virtual_size stays null', () => {
    for (const status of IMAGE_STATUSES) {
      const v = imageToV1(makeImage({ status, size: null }));
      expect(v.size).toBe(0);
      expect(v.virtual_size).toBeNull();
    }
  });

  it('deleted images carry deleted/deleted_at from the image', () => {
    const v = imageToV1(makeImage({ status: 'deleted', deleted: true, deleted_at: T0 + 5000 }));
    expect([v.status, v.deleted, v.deleted_at]).toEqual(['deleted', true, '2024-01-02T03:04:10.000000']);
  });

  it('a `__proto__` property is kept as an ordinary key', () => {
    const properties: Record<string, string> = {};
    Object.defineProperty(properties, '__proto__', { value: 'x', enumerable: true });
    expect(JSON.stringify(imageToV1(makeImage({ properties })).properties)).toBe('{"__proto__":"x"}');
  });
});

describe('isV1HiddenProperty', () => {
  it.each([
    ['os_glance_failed_import', true],
    ['os_glance', true],
    ['direct_url', true],
    ['stores', true],
    ['locations', true],
    ['os_hash_algo', true],
    ['location', true],
    ['deleted', true],
    ['os_distro', false],
    ['prop1', false],
    ['glance_foo', false],
  ])('%s → %s', (key, hidden) => {
    expect(isV1HiddenProperty(key)).toBe(hidden);
  });
});

describe('v1IndexItem', () => {
  it('exactly the six index fields [T]', () => {
    const item = v1IndexItem(activeImage({ name: 'New Standard Image 1', size: 42, disk_format: 'ari', container_format: 'ari' }));
    expect(item).toStrictEqual({
      id: ID,
      name: 'New Standard Image 1',
      size: 42,
      disk_format: 'ari',
      container_format: 'ari',
      checksum: MD5,
    });
    expect(v1IndexItem(makeImage()).size).toBe(0);
  });
});

describe('v1MetaHeaders (§1.4)', () => {
  it('golden: §3.9 HEAD of the uploaded image', () => {
    const image = activeImage({
      properties: { prop1: 'val1', ...BOOKKEEPING },
      tags: ['t'],
      os_hidden: false,
      locations: [{ url: 'file:///secret/path', metadata: {}, status: 'active' }],
    });
    expect(v1MetaHeaders(image)).toEqual([
      ['x-image-meta-id', ID],
      ['x-image-meta-name', 'New Name'],
      ['x-image-meta-status', 'active'],
      ['x-image-meta-disk_format', 'ami'],
      ['x-image-meta-container_format', 'ami'],
      ['x-image-meta-size', '1024'],
      ['x-image-meta-checksum', MD5],
      ['x-image-meta-is_public', 'False'],
      ['x-image-meta-protected', 'False'],
      ['x-image-meta-deleted', 'False'],
      ['x-image-meta-min_ram', '0'],
      ['x-image-meta-min_disk', '0'],
      ['x-image-meta-owner', P],
      ['x-image-meta-created_at', '2024-01-02T03:04:05.000000'],
      ['x-image-meta-updated_at', '2024-01-02T03:04:06.000000'],
      ['x-image-meta-property-prop1', 'val1'],
      ['ETag', MD5],
    ]);
  });

  const headers = (over: Parameters<typeof makeImage>[0]) => Object.fromEntries(v1MetaHeaders(makeImage(over)));

  it('reserved image: no name, no checksum, no ETag; size 0', () => {
    const h = headers({ name: null, properties: {} });
    expect(h['x-image-meta-name']).toBeUndefined();
    expect(h['x-image-meta-checksum']).toBeUndefined();
    expect(h.ETag).toBeUndefined();
    expect(h['x-image-meta-size']).toBe('0');
    expect(h['x-image-meta-virtual_size']).toBeUndefined();
    expect(h['x-image-meta-deleted_at']).toBeUndefined();
    expect(Object.keys(h).some((k) => k.includes('location'))).toBe(false);
  });

  it('True/False, virtual_size, deleted_at, ownerless', () => {
    const h = headers({
      visibility: 'public',
      protected: true,
      virtual_size: 5120,
      owner: null,
      deleted: true,
      deleted_at: T0,
      status: 'deleted',
    });
    expect(h).toMatchObject({
      'x-image-meta-is_public': 'True',
      'x-image-meta-protected': 'True',
      'x-image-meta-deleted': 'True',
      'x-image-meta-virtual_size': '5120',
      'x-image-meta-deleted_at': '2024-01-02T03:04:05.000000',
      'x-image-meta-status': 'deleted',
    });
    expect(h['x-image-meta-owner']).toBeUndefined();
  });

  it('UTF-8 values go out as latin-1 strings of their bytes', () => {
    const h = headers({ name: 'Ünïcødé ☃', properties: { os_distro: 'débian' } });
    expect(h['x-image-meta-name']).toBe(utf8AsLatin1('Ünïcødé ☃'));
    expect(Buffer.from(h['x-image-meta-name'] as string, 'latin1').toString('utf8')).toBe('Ünïcødé ☃');
    expect(h['x-image-meta-property-os_distro']).toBe(Buffer.from('débian', 'utf8').toString('latin1'));
  });

  it.each([
    ['my prop', undefined],
    ['ключ', undefined],
    ['\u212a', undefined],
    ['a:b', undefined],
    ['Mixed-Case', 'x-image-meta-property-mixed-case'],
    ['dotted.key', 'x-image-meta-property-dotted.key'],
  ])('property name %j → header %s', (name, header) => {
    const h = Object.keys(headers({ properties: { [name]: 'v' } })).filter((k) => k.startsWith('x-image-meta-property-'));
    expect(h).toEqual(header === undefined ? [] : [header]);
  });

  it('names equal but for case share one header, the later value winning in the first position', () => {
    const list = v1MetaHeaders(makeImage({ properties: { Foo: '1', bar: 'b', foo: '2' } }));
    expect(list.filter(([k]) => k.startsWith('x-image-meta-property-'))).toEqual([
      ['x-image-meta-property-foo', '2'],
      ['x-image-meta-property-bar', 'b'],
    ]);
  });

  it('values with control characters cannot be headers and are left out', () => {
    const h = headers({ name: 'two\nlines', properties: { ok: 'tab\there', bad: 'cr\rlf', del: 'x\u007f' } });
    expect(h['x-image-meta-name']).toBeUndefined();
    expect(h['x-image-meta-property-ok']).toBe('tab\there');
    expect(h['x-image-meta-property-bad']).toBeUndefined();
    expect(h['x-image-meta-property-del']).toBeUndefined();
  });

  it('status is the v1 status', () => {
    expect(headers({ status: 'importing' })['x-image-meta-status']).toBe('saving');
  });
});
