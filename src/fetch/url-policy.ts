/** Connection-free checks on a URL (scheme, port, host) and its credentials; see url-fetcher.ts. */
import { FetchRefusedError, redactUrl } from './errors.js';

export interface UrlPolicy {
  allowedSchemes: readonly string[];
  allowedPorts: readonly number[] | null;
}

export const SUPPORTED_SCHEMES = new Set(['http', 'https']);
export const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/**
 * Synchronous, connection-free checks on one URL (scheme, port, host present). Returns the parsed
 * URL (fragment removed); throws FetchRefusedError. Address checks need DNS: see `UrlFetcher.check`.
 */
export function validateUrl(raw: string | URL, policy: UrlPolicy, hop = 0): URL {
  let url: URL;
  try {
    url = new URL(typeof raw === 'string' ? raw : raw.href);
  } catch {
    throw new FetchRefusedError('invalid-url', 'Not a valid absolute URL', '<invalid URL>', { hop });
  }
  url.hash = '';
  const redacted = redactUrl(url);
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!policy.allowedSchemes.includes(scheme) || !SUPPORTED_SCHEMES.has(scheme)) {
    throw new FetchRefusedError('scheme', `URL scheme '${scheme}' is not allowed: ${redacted}`, redacted, { hop });
  }
  if (url.hostname === '') {
    throw new FetchRefusedError('invalid-url', `URL has no host: ${redacted}`, redacted, { hop });
  }
  const port = url.port === '' ? (DEFAULT_PORTS[scheme] as number) : Number(url.port);
  if (policy.allowedPorts !== null && !policy.allowedPorts.includes(port)) {
    throw new FetchRefusedError('port', `URL port ${port} is not allowed: ${redacted}`, redacted, { hop });
  }
  return url;
}

export function basicAuth(url: URL): string | null {
  if (url.username === '' && url.password === '') return null;
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return `Basic ${Buffer.from(`${dec(url.username)}:${dec(url.password)}`, 'utf8').toString('base64')}`;
}

export function stripUserinfo(url: URL): string {
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  return u.href;
}
