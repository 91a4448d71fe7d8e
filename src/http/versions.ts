/**
 * Version discovery and negotiation (spec v2 §2, v1 §3.1): what Glance's
 * VersionNegotiationFilter does before any routing or authentication.
 */

export interface VersionFeatures {
  /** The v1 dialect is served (adds the DEPRECATED v1 entries and the /v1 prefixes). */
  v1: boolean;
  multiStore: boolean;
  cache: boolean;
}

export interface VersionEntry {
  id: string;
  status: 'CURRENT' | 'SUPPORTED' | 'DEPRECATED';
  links: Array<{ rel: 'self'; href: string }>;
}

export interface VersionsDocument {
  versions: VersionEntry[];
}

type Requirement = 'always' | 'cache' | 'multiStore';

// Newest first, as Glance lists them; the requirement mirrors Zed's config-dependent advertisement.
const V2_MINORS: ReadonlyArray<readonly [number, Requirement]> = [
  [16, 'cache'], [15, 'always'], [14, 'cache'], [13, 'multiStore'], [12, 'multiStore'],
  [11, 'multiStore'], [10, 'multiStore'], [9, 'always'], [8, 'multiStore'], [7, 'always'],
  [6, 'always'], [5, 'always'], [4, 'always'], [3, 'always'], [2, 'always'], [1, 'always'],
  [0, 'always'],
];

function enabled(requirement: Requirement, features: VersionFeatures): boolean {
  return requirement === 'always' || features[requirement];
}

function advertisedMinors(features: VersionFeatures): number[] {
  return V2_MINORS.filter(([, req]) => enabled(req, features)).map(([minor]) => minor);
}

function stripTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

export function versionsDocument(baseUrl: string, features: VersionFeatures): VersionsDocument {
  const base = stripTrailingSlashes(baseUrl);
  const v2: VersionEntry['links'] = [{ rel: 'self', href: `${base}/v2/` }];
  const versions: VersionEntry[] = advertisedMinors(features).map((minor, i) => ({
    id: `v2.${minor}`,
    status: i === 0 ? 'CURRENT' : 'SUPPORTED',
    links: v2,
  }));
  if (features.v1) {
    const v1: VersionEntry['links'] = [{ rel: 'self', href: `${base}/v1/` }];
    versions.push({ id: 'v1.1', status: 'DEPRECATED', links: v1 }, { id: 'v1.0', status: 'DEPRECATED', links: v1 });
  }
  // Fresh link objects per entry so a caller mutating one entry cannot affect the others.
  return { versions: versions.map((v) => ({ ...v, links: v.links.map((l) => ({ ...l })) })) };
}

/** Maps a version token (`v2.15`, `v1.0`, …) to its API, or null when this deployment rejects it. */
export function apiForToken(token: string, features: VersionFeatures): 'v1' | 'v2' | null {
  if (token === 'v2') return 'v2';
  const v2 = /^v2\.(0|[1-9][0-9]*)$/.exec(token);
  if (v2) {
    const minor = Number(v2[1]);
    return advertisedMinors(features).includes(minor) ? 'v2' : null;
  }
  if (features.v1 && (token === 'v1' || token === 'v1.0' || token === 'v1.1')) return 'v1';
  return null;
}

export type Negotiation =
  | { kind: 'versions'; status: 200 | 300 }
  | { kind: 'route'; api: 'v1' | 'v2'; path: string };

const VND_PREFIX = 'application/vnd.openstack.images-';

/**
 * Glance negotiates on the path and Accept header only; the method never matters
 * (`POST /` is a 300 like `GET /`), so `method` is accepted for symmetry and ignored.
 * `path` is the raw request path; any query string is dropped from the result.
 */
export function negotiate(
  method: string,
  path: string,
  accept: string | undefined,
  features: VersionFeatures,
): Negotiation {
  void method;
  const q = path.indexOf('?');
  const pathOnly = q === -1 ? path : path.slice(0, q);
  const trimmed = pathOnly.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  const first = slash === -1 ? trimmed : trimmed.slice(0, slash);

  if (first === 'versions') return { kind: 'versions', status: 200 };

  if (accept !== undefined && accept.startsWith(VND_PREFIX)) {
    // Media-type versioning: the whole remainder is the token and the URL keeps its prefix,
    // so `/v2/images` with this Accept becomes `/v2/v2/images` (a 404 later), as in Glance.
    const api = apiForToken(accept.slice(VND_PREFIX.length), features);
    if (api === null) return { kind: 'versions', status: 300 };
    return { kind: 'route', api, path: `/${api}${pathOnly}` };
  }

  const api = apiForToken(first, features);
  if (api === null) return { kind: 'versions', status: 300 };
  const rest = slash === -1 ? '' : trimmed.slice(slash);
  return { kind: 'route', api, path: `/${api}${rest}` };
}

/** Headers as a WHATWG `Headers` or Node's `IncomingHttpHeaders` (lower-case keys). */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | string[] | undefined>>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null | undefined }).get(name) ?? undefined;
  }
  const v = (headers as Readonly<Record<string, string | string[] | undefined>>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** First element of a proxy's comma-separated list (each hop appends its own value). */
function firstListValue(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const first = v.split(',')[0]?.trim();
  return first ? first : undefined;
}

// A host[:port] or [ipv6][:port]; anything else would let a client inject text into our links.
const HOST_RE = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The application URL used in generated links: `public_endpoint` when configured, else
 * `scheme://host` from the proxy headers (X-Forwarded-Proto / X-Forwarded-Host) or Host.
 * Default ports are dropped like WebOb's `host_url` does. No trailing slash.
 */
export function baseUrlFrom(headers: HeaderSource, publicEndpoint?: string, defaultScheme = 'http'): string {
  if (publicEndpoint) return stripTrailingSlashes(publicEndpoint);
  const proto = firstListValue(header(headers, 'x-forwarded-proto'))?.toLowerCase();
  const scheme = proto === 'http' || proto === 'https' ? proto : defaultScheme;
  const candidates = [firstListValue(header(headers, 'x-forwarded-host')), header(headers, 'host')?.trim()];
  let host = candidates.find((h): h is string => h !== undefined && HOST_RE.test(h)) ?? 'localhost';
  const port = /:([0-9]+)$/.exec(host)?.[1];
  if ((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443')) {
    host = host.slice(0, -(port.length + 1));
  }
  return `${scheme}://${host}`;
}
