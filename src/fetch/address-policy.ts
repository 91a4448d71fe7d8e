/**
 * Which network addresses the gateway may contact when it fetches image data on a user's behalf
 * (v1 copy-from and external locations, v2 web-download import, legacy task `import_from`).
 *
 * Everything here is pure: no DNS, no sockets. The fetcher (url-fetcher.ts) resolves a host once,
 * runs every resolved address through {@link checkAddress} and connects only to addresses that
 * passed.
 *
 * Default policy: only globally routable unicast addresses are allowed. Refused are loopback,
 * unspecified, private (RFC 1918, unique-local, site-local), shared/CGNAT, link-local, multicast,
 * broadcast, documentation, benchmarking and every other reserved range, including those ranges
 * when they are reached through an IPv6 form that embeds an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`). IPv4-compatible `::a.b.c.d`, Teredo,
 * local-use NAT64 `64:ff9b:1::/48` and anything outside global unicast `2000::/3` are refused
 * outright.
 *
 * The allow-list overrides the default policy (it never restricts it): an address inside an
 * allow-listed CIDR is allowed whatever its category, and a URL whose host name is allow-listed
 * (exact, case-insensitive match) may resolve to any address.
 *
 * Odd IPv4 spellings (`2130706433`, `0177.0.0.1`, `127.1`, `0x7f.1`, percent-encoded or full-width
 * digits) never reach this module un-normalised: callers take the host from a WHATWG `URL`, whose
 * host parser canonicalises them to dotted-quad. {@link parseIp} itself accepts only the strict
 * dotted-quad form (so a resolver result in an odd spelling is refused, not guessed at).
 */

export interface ParsedIp {
  readonly family: 4 | 6;
  /** 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `fd00::/8`. */
  readonly text: string;
}

export interface AllowList {
  readonly cidrs: readonly Cidr[];
  /** Lower-case host names without a trailing dot. */
  readonly hosts: ReadonlySet<string>;
}

export const EMPTY_ALLOW_LIST: AllowList = Object.freeze({ cidrs: Object.freeze([]), hosts: new Set<string>() });

export type AddressCategory =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

export interface AddressClass {
  readonly category: AddressCategory;
  /** The special-purpose range the address fell in (null for public addresses). */
  readonly range: string | null;
  /** Set when the category was derived from an IPv4 address embedded in an IPv6 one. */
  readonly via?: 'ipv4-mapped' | 'nat64' | '6to4';
}

export type AddressDecision =
  | { readonly allowed: true; readonly by: 'policy' | 'allow-list'; readonly address: string }
  | {
      readonly allowed: false;
      readonly address: string;
      readonly category: AddressCategory | 'invalid';
      /** Human-readable, e.g. `loopback (127.0.0.0/8)` or `private (10.0.0.0/8 via ipv4-mapped)`. */
      readonly reason: string;
    };

// ---------------------------------------------------------------------------------------------
// Parsing

const IPV4_PART = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

function parseIpv4Bytes(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!IPV4_PART.test(p)) return null;
    out[i] = Number(p);
  }
  return out;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseGroups(text: string): number[] | null {
  if (text === '') return [];
  const out: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4Bytes(p);
      if (!v4) return null;
      out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else {
      if (!HEX_GROUP.test(p)) return null;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}

function parseIpv6Bytes(text: string): Uint8Array | null {
  // Zone identifiers (`fe80::1%eth0`) are refused: a scoped address is never a valid fetch target.
  if (text.length < 2 || text.length > 45 || text.includes('%')) return null;
  const dbl = text.indexOf('::');
  let groups: number[];
  if (dbl === -1) {
    const g = parseGroups(text);
    if (!g || g.length !== 8) return null;
    groups = g;
  } else {
    if (text.indexOf('::', dbl + 1) !== -1) return null;
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (!head || !tail) return null;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parses a strict IP literal: dotted-quad IPv4 (no leading zeros, no short forms) or IPv6 text,
 * optionally in brackets (as `URL.hostname` gives it). Returns null for anything else.
 */
export function parseIp(text: string): ParsedIp | null {
  if (text.startsWith('[') || text.includes(':')) {
    const inner = text.startsWith('[') ? (text.endsWith(']') ? text.slice(1, -1) : '') : text;
    const b = parseIpv6Bytes(inner);
    return b ? { family: 6, bytes: b } : null;
  }
  const b = parseIpv4Bytes(text);
  return b ? { family: 4, bytes: b } : null;
}

/** Canonical text of an address: dotted-quad, or RFC 5952 IPv6 (lower case, longest zero run `::`). */
export function formatIp(ip: ParsedIp): string {
  const b = ip.bytes;
  if (ip.family === 4) return Array.from(b).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[2 * i] as number) << 8) | (b[2 * i + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function maskMatches(bytes: Uint8Array, net: Uint8Array, prefix: number): boolean {
  const full = prefix >> 3;
  for (let i = 0; i < full; i++) if (bytes[i] !== net[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (((bytes[full] as number) ^ (net[full] as number)) & mask) === 0;
}

function hasHostBits(bytes: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

/**
 * Parses `a.b.c.d/n` or `v6/n` (a bare address means /32 or /128; IPv6 may be bracketed).
 * Returns null when malformed, when the prefix is out of range, or when host bits are set
 * (`10.0.0.1/8` is almost certainly a configuration mistake).
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  if (hasHostBits(ip.bytes, prefix)) return null;
  return { family: ip.family, bytes: ip.bytes, prefix, text: `${formatIp(ip)}/${prefix}` };
}

export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  return cidr.family === ip.family && maskMatches(ip.bytes, cidr.bytes, cidr.prefix);
}

// ---------------------------------------------------------------------------------------------
// Classification

interface Range {
  readonly cidr: Cidr;
  readonly category: AddressCategory;
}

function range(text: string, category: AddressCategory): Range {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`bad built-in range ${text}`);
  return { cidr, category };
}

/** IPv4 special-purpose ranges (IANA registry, RFC 6890 and successors). Order matters only for nesting. */
const V4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'documentation'),
  range('192.88.99.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'broadcast'),
  range('240.0.0.0/4', 'reserved'),
];

const V6_UNSPECIFIED = range('::/128', 'unspecified');
const V6_LOOPBACK = range('::1/128', 'loopback');
const V6_MAPPED = parseCidr('::ffff:0:0/96') as Cidr;
const V6_NAT64 = parseCidr('64:ff9b::/96') as Cidr;
const V6_6TO4 = parseCidr('2002::/16') as Cidr;
const V6_GLOBAL_UNICAST = parseCidr('2000::/3') as Cidr;

const V6_RANGES: readonly Range[] = [
  range('::/96', 'reserved'), // IPv4-compatible (deprecated)
  range('64:ff9b:1::/48', 'private'), // local-use NAT64 (RFC 8215)
  range('100::/64', 'reserved'), // discard-only
  range('2001:db8::/32', 'documentation'),
  range('2001::/23', 'reserved'), // IETF protocol assignments, incl. Teredo 2001::/32
  range('3fff::/20', 'documentation'),
  range('5f00::/16', 'reserved'), // SRv6 SIDs
  range('fc00::/7', 'private'), // unique local
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'private'), // site-local (deprecated)
  range('ff00::/8', 'multicast'),
];

const PUBLIC: AddressClass = Object.freeze({ category: 'public', range: null });

function classifyV4(ip: ParsedIp): AddressClass {
  for (const r of V4_RANGES) if (cidrContains(r.cidr, ip)) return { category: r.category, range: r.cidr.text };
  return PUBLIC;
}

function embedded(ip: ParsedIp, via: 'ipv4-mapped' | 'nat64' | '6to4'): AddressClass {
  const off = via === '6to4' ? 2 : 12;
  const inner = classifyV4({ family: 4, bytes: ip.bytes.slice(off, off + 4) });
  return inner.category === 'public' ? PUBLIC : { ...inner, via };
}

/** Classifies an address (text or parsed). Throws on text that is not an IP literal. */
export function classifyAddress(address: string | ParsedIp): AddressClass {
  const ip = typeof address === 'string' ? parseIp(address) : address;
  if (!ip) throw new TypeError(`not an IP address: ${String(address)}`);
  if (ip.family === 4) return classifyV4(ip);
  if (cidrContains(V6_UNSPECIFIED.cidr, ip)) return { category: 'unspecified', range: V6_UNSPECIFIED.cidr.text };
  if (cidrContains(V6_LOOPBACK.cidr, ip)) return { category: 'loopback', range: V6_LOOPBACK.cidr.text };
  if (cidrContains(V6_MAPPED, ip)) return embedded(ip, 'ipv4-mapped');
  if (cidrContains(V6_NAT64, ip)) return embedded(ip, 'nat64');
  if (cidrContains(V6_6TO4, ip)) return embedded(ip, '6to4');
  for (const r of V6_RANGES) if (cidrContains(r.cidr, ip)) return { category: r.category, range: r.cidr.text };
  if (!cidrContains(V6_GLOBAL_UNICAST, ip)) return { category: 'reserved', range: 'outside 2000::/3' };
  return PUBLIC;
}

// ---------------------------------------------------------------------------------------------
// Host names and the allow-list

/**
 * The canonical host of `raw` as the WHATWG URL host parser sees it (IDNA, percent-decoding,
 * IPv4 number forms → dotted-quad, IPv6 compressed and bracketed), lower-cased, without a trailing
 * dot on domain names. Null when `raw` is not a valid host on its own (contains a port, path, …).
 */
export function canonicalHost(raw: string): string | null {
  if (raw === '' || /[/?#@\\\s]/.test(raw)) return null;
  // A port, even the default one (which the URL parser would drop silently), is not a host.
  if (raw.startsWith('[') ? !raw.endsWith(']') : raw.includes(':')) return null;
  let url: URL;
  try {
    url = new URL(`http://${raw}/`);
  } catch {
    return null;
  }
  if (url.port !== '' || url.hostname === '') return null;
  return stripTrailingDot(url.hostname.toLowerCase());
}

function stripTrailingDot(host: string): string {
  return host.endsWith('.') && !host.startsWith('[') ? host.slice(0, -1) : host;
}

/** The IP literal in a `URL.hostname` (dotted-quad or bracketed IPv6), or null for a domain name. */
export function literalIpOfHostname(hostname: string): ParsedIp | null {
  return parseIp(hostname);
}

/**
 * Parses an allow-list: entries separated by commas and/or whitespace, each a CIDR (`10.0.0.0/8`,
 * `fd00::/8`), a bare IP (`/32` or `/128`) or a host name (matched exactly, case-insensitively;
 * wildcards are not supported). Throws a TypeError naming the first invalid entry.
 */
export function parseAllowList(spec: string | readonly string[]): AllowList {
  const entries = (typeof spec === 'string' ? [spec] : spec)
    .flatMap((s) => s.split(/[\s,]+/))
    .filter((s) => s !== '');
  const cidrs: Cidr[] = [];
  const hosts = new Set<string>();
  for (const entry of entries) {
    if (entry.includes('/') || entry.includes(':')) {
      const cidr = parseCidr(entry);
      if (!cidr) throw new TypeError(`invalid allow-list entry (CIDR or IP expected): ${entry}`);
      cidrs.push(cidr);
      continue;
    }
    if (entry.includes('*')) throw new TypeError(`invalid allow-list entry (wildcards are not supported): ${entry}`);
    const host = canonicalHost(entry);
    if (host === null) throw new TypeError(`invalid allow-list entry (host name expected): ${entry}`);
    const ip = parseIp(host);
    if (ip) cidrs.push(parseCidr(`${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`) as Cidr);
    else hosts.add(host);
  }
  return Object.freeze({ cidrs: Object.freeze(cidrs), hosts });
}

/** Whether a URL host name (as `URL.hostname` gives it) is allow-listed by name. */
export function isHostAllowListed(hostname: string, allow: AllowList): boolean {
  if (allow.hosts.size === 0) return false;
  return allow.hosts.has(stripTrailingDot(hostname.toLowerCase()));
}

function inAllowedCidr(ip: ParsedIp, allow: AllowList): boolean {
  if (allow.cidrs.some((c) => cidrContains(c, ip))) return true;
  // An IPv4-mapped IPv6 address is the same endpoint as the IPv4 address it carries.
  if (ip.family === 6 && cidrContains(V6_MAPPED, ip)) {
    const v4: ParsedIp = { family: 4, bytes: ip.bytes.slice(12) };
    return allow.cidrs.some((c) => cidrContains(c, v4));
  }
  return false;
}

/**
 * The verdict on one address: allowed when it is public or inside an allow-listed CIDR.
 * `address` must be a strict IP literal (brackets allowed); anything else is refused as invalid.
 */
export function checkAddress(address: string, allow: AllowList = EMPTY_ALLOW_LIST): AddressDecision {
  const ip = parseIp(address);
  if (!ip) return { allowed: false, address, category: 'invalid', reason: 'not an IP address' };
  const canonical = formatIp(ip);
  if (inAllowedCidr(ip, allow)) return { allowed: true, by: 'allow-list', address: canonical };
  const cls = classifyAddress(ip);
  if (cls.category === 'public') return { allowed: true, by: 'policy', address: canonical };
  const where = cls.range === null ? '' : ` (${cls.range}${cls.via ? ` via ${cls.via}` : ''})`;
  return { allowed: false, address: canonical, category: cls.category, reason: `${cls.category}${where}` };
}
