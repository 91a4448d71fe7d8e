import { describe, expect, it } from 'vitest';
import {
  apiForToken,
  baseUrlFrom,
  negotiate,
  versionsDocument,
  type VersionFeatures,
} from '../../src/http/versions.js';

const DEFAULT: VersionFeatures = { v1: false, multiStore: false, cache: false };
const CACHE: VersionFeatures = { ...DEFAULT, cache: true };
const MULTI: VersionFeatures = { ...DEFAULT, multiStore: true };
const FULL: VersionFeatures = { v1: false, multiStore: true, cache: true };
const WITH_V1: VersionFeatures = { ...DEFAULT, v1: true };

function ids(features: VersionFeatures): string {
  return versionsDocument('http://h', features)
    .versions.map((v) => `${v.id}:${v.status[0]}`)
    .join(' ');
}

describe('versionsDocument (spec §2.1)', () => {
  it.each<[string, VersionFeatures, string]>([
    ['default', DEFAULT, 'v2.15:C v2.9:S v2.7:S v2.6:S v2.5:S v2.4:S v2.3:S v2.2:S v2.1:S v2.0:S'],
    ['cache', CACHE, 'v2.16:C v2.15:S v2.14:S v2.9:S v2.7:S v2.6:S v2.5:S v2.4:S v2.3:S v2.2:S v2.1:S v2.0:S'],
    [
      'multi-store',
      MULTI,
      'v2.15:C v2.13:S v2.12:S v2.11:S v2.10:S v2.9:S v2.8:S v2.7:S v2.6:S v2.5:S v2.4:S v2.3:S v2.2:S v2.1:S v2.0:S',
    ],
    [
      'both',
      FULL,
      'v2.16:C v2.15:S v2.14:S v2.13:S v2.12:S v2.11:S v2.10:S v2.9:S v2.8:S v2.7:S v2.6:S v2.5:S v2.4:S v2.3:S v2.2:S v2.1:S v2.0:S',
    ],
    ['v1', WITH_V1, 'v2.15:C v2.9:S v2.7:S v2.6:S v2.5:S v2.4:S v2.3:S v2.2:S v2.1:S v2.0:S v1.1:D v1.0:D'],
  ])('%s deployment', (_name, features, expected) => {
    expect(ids(features)).toBe(expected);
  });

  it('has 17 entries with every feature', () => {
    expect(versionsDocument('http://h', FULL).versions).toHaveLength(17);
  });

  it('serialises with the key order id, status, links and rel, href', () => {
    const doc = versionsDocument('http://glance.example.com:9292', DEFAULT);
    expect(JSON.stringify(doc.versions[0])).toBe(
      '{"id":"v2.15","status":"CURRENT","links":[{"rel":"self","href":"http://glance.example.com:9292/v2/"}]}',
    );
  });

  it.each([
    ['http://h:9292', 'http://h:9292/v2/'],
    ['http://h:9292/', 'http://h:9292/v2/'],
    ['http://h:9292//', 'http://h:9292/v2/'],
    ['https://h/image', 'https://h/image/v2/'],
  ])('base %s → %s', (base, href) => {
    const doc = versionsDocument(base, WITH_V1);
    for (const v of doc.versions) {
      expect(v.links).toEqual([{ rel: 'self', href: v.id.startsWith('v1') ? href.replace('/v2/', '/v1/') : href }]);
    }
  });

  it('gives each entry its own links array', () => {
    const doc = versionsDocument('http://h', DEFAULT);
    expect(doc.versions[0]?.links).not.toBe(doc.versions[1]?.links);
  });
});

describe('apiForToken', () => {
  it.each<[string, VersionFeatures, 'v1' | 'v2' | null]>([
    ['v2', DEFAULT, 'v2'],
    ['v2.0', DEFAULT, 'v2'],
    ['v2.9', DEFAULT, 'v2'],
    ['v2.15', DEFAULT, 'v2'],
    ['v2.16', DEFAULT, null],
    ['v2.16', CACHE, 'v2'],
    ['v2.14', CACHE, 'v2'],
    ['v2.8', DEFAULT, null],
    ['v2.8', MULTI, 'v2'],
    ['v2.13', MULTI, 'v2'],
    ['v2.17', FULL, null],
    ['v2.01', DEFAULT, null],
    ['V2', DEFAULT, null],
    ['v1', DEFAULT, null],
    ['v1', WITH_V1, 'v1'],
    ['v1.0', WITH_V1, 'v1'],
    ['v1.1', WITH_V1, 'v1'],
    ['v1.2', WITH_V1, null],
    ['v3', FULL, null],
    ['', FULL, null],
  ])('%j (%j) → %s', (token, features, api) => {
    expect(apiForToken(token, features)).toBe(api);
  });
});

describe('negotiate (spec §2.3)', () => {
  it.each<[string, string, string | undefined, VersionFeatures, ReturnType<typeof negotiate>]>([
    ['GET', '/versions', undefined, DEFAULT, { kind: 'versions', status: 200 }],
    ['POST', '/versions/foo', undefined, DEFAULT, { kind: 'versions', status: 200 }],
    ['GET', '//versions', undefined, DEFAULT, { kind: 'versions', status: 200 }],
    ['GET', '/versions?x=1', undefined, DEFAULT, { kind: 'versions', status: 200 }],
    // `versions` wins even over the vendor Accept.
    ['GET', '/versions', 'application/vnd.openstack.images-v9', DEFAULT, { kind: 'versions', status: 200 }],
    ['GET', '/', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['POST', '/', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/v1/images', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/v3/images', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/images', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/foo', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/V2/images', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/v2.16/images', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/versionsx', undefined, DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/v2/images', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2/images?limit=1', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2.15/images', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2.0/images/x/file', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images/x/file' }],
    ['GET', '//v2/images', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2' }],
    ['GET', '/v2/', undefined, DEFAULT, { kind: 'route', api: 'v2', path: '/v2/' }],
    ['GET', '/v2.16/images', undefined, CACHE, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2.10/images', undefined, MULTI, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v1/images', undefined, WITH_V1, { kind: 'route', api: 'v1', path: '/v1/images' }],
    ['GET', '/v1.1/images/detail', undefined, WITH_V1, { kind: 'route', api: 'v1', path: '/v1/images/detail' }],
    ['GET', '/v1.0/', undefined, WITH_V1, { kind: 'route', api: 'v1', path: '/v1/' }],
    ['GET', '/v1', undefined, WITH_V1, { kind: 'route', api: 'v1', path: '/v1' }],
    ['GET', '/v1.a/images', undefined, WITH_V1, { kind: 'versions', status: 300 }],
    ['GET', '/v10', undefined, WITH_V1, { kind: 'versions', status: 300 }],
    // Media-type versioning: the URL keeps its prefix.
    ['GET', '/images', 'application/vnd.openstack.images-v2', DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/images?x=1', 'application/vnd.openstack.images-v2.3', DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2/images', 'application/vnd.openstack.images-v2', DEFAULT, { kind: 'route', api: 'v2', path: '/v2/v2/images' }],
    ['GET', '/images', 'application/vnd.openstack.images-v2.3+json', DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/images', 'application/vnd.openstack.images-v2, */*', DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/v2/images', 'application/vnd.openstack.images-v9', DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/images', 'application/vnd.openstack.images-v1', DEFAULT, { kind: 'versions', status: 300 }],
    ['GET', '/images', 'application/vnd.openstack.images-v1', WITH_V1, { kind: 'route', api: 'v1', path: '/v1/images' }],
    // Any other Accept falls back to URL versioning.
    ['GET', '/v2/images', 'application/json', DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
    ['GET', '/v2/images', ' application/vnd.openstack.images-v2', DEFAULT, { kind: 'route', api: 'v2', path: '/v2/images' }],
  ])('%s %j Accept=%j', (method, path, accept, features, expected) => {
    expect(negotiate(method, path, accept, features)).toEqual(expected);
  });
});

describe('baseUrlFrom', () => {
  it.each<[string, Record<string, string>, string | undefined, string]>([
    ['Host', { host: 'glance:9292' }, undefined, 'http://glance:9292'],
    ['default port dropped', { host: 'glance:80' }, undefined, 'http://glance'],
    ['no Host', {}, undefined, 'http://localhost'],
    ['forwarded proto', { host: 'glance:9292', 'x-forwarded-proto': 'https' }, undefined, 'https://glance:9292'],
    ['forwarded proto, 443 dropped', { host: 'glance:443', 'x-forwarded-proto': 'HTTPS' }, undefined, 'https://glance'],
    ['forwarded host', { host: 'internal:9292', 'x-forwarded-host': 'api.example.com' }, undefined, 'http://api.example.com'],
    [
      'forwarded lists take the first hop',
      { host: 'i', 'x-forwarded-host': 'a.example:8443, b', 'x-forwarded-proto': 'https, http' },
      undefined,
      'https://a.example:8443',
    ],
    ['bogus proto ignored', { host: 'h', 'x-forwarded-proto': 'javascript' }, undefined, 'http://h'],
    ['bogus forwarded host falls back to Host', { host: 'h:1', 'x-forwarded-host': 'a/b' }, undefined, 'http://h:1'],
    ['bogus Host', { host: 'h"><x' }, undefined, 'http://localhost'],
    ['ipv6', { host: '[::1]:9292' }, undefined, 'http://[::1]:9292'],
    ['ipv6 default port', { host: '[::1]:80' }, undefined, 'http://[::1]'],
    ['public_endpoint wins', { host: 'h', 'x-forwarded-host': 'x' }, 'https://pub.example/image/', 'https://pub.example/image'],
  ])('%s', (_name, headers, pub, expected) => {
    expect(baseUrlFrom(headers, pub)).toBe(expected);
    expect(baseUrlFrom(new Headers(headers), pub)).toBe(expected);
  });

  it('uses the listener scheme by default', () => {
    expect(baseUrlFrom({ host: 'h:443' }, undefined, 'https')).toBe('https://h');
  });

  it('reads the first value of a repeated Node header', () => {
    expect(baseUrlFrom({ host: 'h', 'x-forwarded-host': ['a', 'b'] } as Record<string, string | string[]>)).toBe('http://a');
  });
});
