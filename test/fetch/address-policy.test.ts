import { describe, expect, it } from 'vitest';

import {
  EMPTY_ALLOW_LIST,
  canonicalHost,
  checkAddress,
  classifyAddress,
  formatIp,
  isHostAllowListed,
  parseAllowList,
  parseCidr,
  parseIp,
  type AddressCategory,
} from '../../src/fetch/address-policy.js';

/** The host of a URL as the fetcher sees it (WHATWG canonicalisation), then the default policy. */
function verdictForUrl(url: string): string {
  const host = new URL(url).hostname;
  const d = checkAddress(host, EMPTY_ALLOW_LIST);
  return d.allowed ? 'public' : d.category;
}

describe('parseIp / formatIp', () => {
  it.each([
    ['127.0.0.1', 4, '127.0.0.1'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['::1', 6, '::1'],
    ['[::1]', 6, '::1'],
    ['::', 6, '::'],
    ['0:0:0:0:0:0:0:1', 6, '::1'],
    ['2001:DB8::0:1', 6, '2001:db8::1'],
    ['::ffff:127.0.0.1', 6, '::ffff:7f00:1'],
    ['::ffff:7f00:1', 6, '::ffff:7f00:1'],
    ['64:ff9b::10.0.0.1', 6, '64:ff9b::a00:1'],
    ['1:2:3:4:5:6:7:8', 6, '1:2:3:4:5:6:7:8'],
    ['1:0:0:2:0:0:0:3', 6, '1:0:0:2::3'],
    ['fe80::', 6, 'fe80::'],
    ['1::', 6, '1::'],
  ] as const)('%s → IPv%d %s', (text, family, canonical) => {
    const ip = parseIp(text);
    expect(ip).not.toBeNull();
    expect(ip?.family).toBe(family);
    expect(formatIp(ip!)).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4', // leading zero: odd spellings are only accepted after WHATWG canonicalisation
    '0x7f.0.0.1',
    '2130706433',
    '127.1',
    ' 127.0.0.1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8', // '::' must stand for at least one group
    ':::',
    '1::2::3',
    'fe80::1%eth0',
    'gggg::',
    '12345::',
    '[127.0.0.1]',
    '[::1',
    '::ffff:127.0.0.256',
    'localhost',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['127.0.0.1', '127.0.0.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['FD00::/8', 'fd00::/8'],
    ['[::1]', '::1/128'],
    ['2001:db8::/32', '2001:db8::/32'],
  ])('%s → %s', (text, canonical) => {
    expect(parseCidr(text)?.text).toBe(canonical);
  });

  it.each(['10.0.0.0/33', '10.0.0.1/8', '::1/129', 'fd00::1/8', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', 'x/8'])(
    'rejects %j',
    (text) => {
      expect(parseCidr(text)).toBeNull();
    },
  );
});

describe('classifyAddress (default policy)', () => {
  const table: Array<[string, AddressCategory]> = [
    // IPv4 special-purpose ranges and their edges
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['1.0.0.0', 'public'],
    ['9.255.255.255', 'public'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.64.0.0', 'shared'],
    ['100.127.255.255', 'shared'],
    ['100.128.0.0', 'public'],
    ['126.255.255.255', 'public'],
    ['127.0.0.0', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['128.0.0.0', 'public'],
    ['169.253.255.255', 'public'],
    ['169.254.0.0', 'link-local'],
    ['169.254.169.254', 'link-local'],
    ['169.255.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', 'reserved'],
    ['192.167.255.255', 'public'],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.0', 'public'],
    ['198.17.255.255', 'public'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.20.0.0', 'public'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['223.255.255.255', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.0', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::2', 'reserved'],
    ['::127.0.0.1', 'reserved'], // IPv4-compatible, deprecated
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['ff05::2', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001::1', 'reserved'], // Teredo
    ['2001:1ff::1', 'reserved'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::1', 'private'], // local-use NAT64
    ['5f00::1', 'reserved'],
    ['4000::1', 'reserved'], // outside 2000::/3
    ['::ffff:0:7f00:1', 'reserved'], // IPv4-translated (SIIT)
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450::1', 'public'],
    // IPv6 forms embedding an IPv4 address take the category of that address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:100.64.0.1', 'shared'],
    ['::ffff:224.0.0.1', 'multicast'],
    ['::ffff:255.255.255.255', 'broadcast'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
    ['2002:808:808::1', 'public'],
  ];
  it.each(table)('%s → %s', (address, category) => {
    expect(classifyAddress(address).category).toBe(category);
  });

  it('names the range and the embedding it was reached through', () => {
    expect(classifyAddress('::ffff:10.0.0.1')).toEqual({ category: 'private', range: '10.0.0.0/8', via: 'ipv4-mapped' });
    expect(classifyAddress('64:ff9b::7f00:1')).toEqual({ category: 'loopback', range: '127.0.0.0/8', via: 'nat64' });
    expect(classifyAddress('93.184.216.34')).toEqual({ category: 'public', range: null });
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
  });
});

describe('URL host spellings are canonicalised before the policy applies', () => {
  const table: Array<[string, string]> = [
    ['http://127.0.0.1/', 'loopback'],
    ['http://2130706433/', 'loopback'], // decimal
    ['http://0177.0.0.1/', 'loopback'], // octal
    ['http://0177.0000.0000.0001/', 'loopback'],
    ['http://017700000001/', 'loopback'], // octal, one number
    ['http://0x7f.0.0.1/', 'loopback'], // hex part
    ['http://0x7f000001/', 'loopback'], // hex, one number
    ['http://0X7F.1/', 'loopback'],
    ['http://127.1/', 'loopback'], // short form
    ['http://127.0.1/', 'loopback'],
    ['http://127.0.0.1./', 'loopback'], // trailing dot
    ['http://%31%32%37.0.0.1/', 'loopback'], // percent-encoded digits
    ['http://１２７.０.０.１/', 'loopback'], // full-width digits (IDNA maps them)
    ['http://0/', 'unspecified'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://10.1/', 'private'], // 10.0.0.1
    ['http://167772161/', 'private'], // 10.0.0.1
    ['http://0xa9.0xfe.0xa9.0xfe/', 'link-local'], // 169.254.169.254
    ['http://2852039166/', 'link-local'], // 169.254.169.254
    ['http://0300.0250.1.1/', 'private'], // 192.168.1.1
    ['http://4294967295/', 'broadcast'],
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[::FFFF:A9FE:A9FE]/', 'link-local'],
    ['http://[64:ff9b::127.0.0.1]/', 'loopback'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[fd00::1]/', 'private'],
    ['http://[ff02::1]/', 'multicast'],
    ['https://user:pw@2130706433:8443/x?y', 'loopback'],
    ['http://93.184.216.34/', 'public'],
    ['http://1572395042/', 'public'], // 93.184.216.34
    ['http://[2606:4700:4700::1111]/', 'public'],
  ];
  it.each(table)('%s → %s', (url, verdict) => {
    expect(verdictForUrl(url)).toBe(verdict);
  });

  it('leaves host names for DNS (they are not IP literals)', () => {
    expect(checkAddress(new URL('http://localhost/').hostname)).toMatchObject({ allowed: false, category: 'invalid' });
    expect(parseIp(new URL('http://127.0.0.1.nip.io/').hostname)).toBeNull();
  });
});

describe('checkAddress', () => {
  it('allows public and refuses special addresses with a readable reason', () => {
    expect(checkAddress('93.184.216.34')).toEqual({ allowed: true, by: 'policy', address: '93.184.216.34' });
    expect(checkAddress('::ffff:10.0.0.1')).toEqual({
      allowed: false,
      address: '::ffff:a00:1',
      category: 'private',
      reason: 'private (10.0.0.0/8 via ipv4-mapped)',
    });
    expect(checkAddress('not-an-ip')).toMatchObject({ allowed: false, category: 'invalid' });
    expect(checkAddress('fe80::1%eth0')).toMatchObject({ allowed: false, category: 'invalid' });
  });

  const allow = parseAllowList('10.1.0.0/16, 127.0.0.1/32 fd00:1::/32 192.168.0.7');
  it.each([
    ['10.1.2.3', true],
    ['10.1.255.255', true],
    ['10.2.0.0', false],
    ['10.0.255.255', false],
    ['127.0.0.1', true],
    ['127.0.0.2', false],
    ['::ffff:127.0.0.1', true], // mapped form of an allowed IPv4 address
    ['::ffff:127.0.0.2', false],
    ['64:ff9b::7f00:1', false], // NAT64 is a different endpoint: not covered by the IPv4 entry
    ['::1', false],
    ['fd00:1:2::3', true],
    ['fd00:2::1', false],
    ['192.168.0.7', true],
    ['192.168.0.8', false],
    ['8.8.8.8', true], // the allow-list overrides, it does not restrict
  ] as const)('with allow-list: %s → %s', (address, allowed) => {
    expect(checkAddress(address, allow).allowed).toBe(allowed);
  });

  it('says when an address was let through by the allow-list', () => {
    expect(checkAddress('10.1.0.1', allow)).toMatchObject({ allowed: true, by: 'allow-list' });
  });
});

describe('parseAllowList', () => {
  it('parses CIDRs (v4 and v6), bare addresses and host names', () => {
    const a = parseAllowList('10.0.0.0/8, 127.0.0.1/32, fixtures.local');
    expect(a.cidrs.map((c) => c.text)).toEqual(['10.0.0.0/8', '127.0.0.1/32']);
    expect([...a.hosts]).toEqual(['fixtures.local']);

    const b = parseAllowList([' FD00::/8 ,, [::1]\n', 'Images.Example.COM.', '192.168.1.1', '127.1']);
    expect(b.cidrs.map((c) => c.text)).toEqual(['fd00::/8', '::1/128', '192.168.1.1/32', '127.0.0.1/32']);
    expect([...b.hosts]).toEqual(['images.example.com']);
  });

  it('accepts an empty list', () => {
    const a = parseAllowList('  ,  ');
    expect(a.cidrs).toHaveLength(0);
    expect(a.hosts.size).toBe(0);
    expect(parseAllowList([]).cidrs).toHaveLength(0);
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0.1/8',
    'fd00::/200',
    'http://fixtures.local',
    'fixtures.local:8080',
    '*.example.com',
    'exa mple/8',
    '1.2.3.4.5',
    'user@host',
  ])('rejects %j', (entry) => {
    expect(() => parseAllowList(entry)).toThrow(TypeError);
  });

  it('matches host names exactly and case-insensitively', () => {
    const a = parseAllowList('fixtures.local');
    expect(isHostAllowListed('fixtures.local', a)).toBe(true);
    expect(isHostAllowListed('FIXTURES.Local', a)).toBe(true);
    expect(isHostAllowListed('fixtures.local.', a)).toBe(true);
    expect(isHostAllowListed('a.fixtures.local', a)).toBe(false);
    expect(isHostAllowListed('fixtures.local.evil.com', a)).toBe(false);
    expect(isHostAllowListed('fixtures', a)).toBe(false);
    expect(isHostAllowListed('fixtures.local', EMPTY_ALLOW_LIST)).toBe(false);
  });

  it('canonicalHost uses the WHATWG host parser', () => {
    expect(canonicalHost('EXAMPLE.com.')).toBe('example.com');
    expect(canonicalHost('0x7f.1')).toBe('127.0.0.1');
    expect(canonicalHost('bücher.example')).toBe('xn--bcher-kva.example');
    expect(canonicalHost('a/b')).toBeNull();
    expect(canonicalHost('host:80')).toBeNull();
    expect(canonicalHost('')).toBeNull();
  });
});
