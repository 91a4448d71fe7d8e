import { BadRequestError } from '../core/errors.js';
import { UNDECODABLE_REQUEST } from './json-body.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  if (!plus.includes('%')) return plus;
  const bytes: number[] = [];
  for (let i = 0; i < plus.length; i++) {
    const ch = plus.charCodeAt(i);
    if (ch === 0x25 && /^[0-9a-fA-F]{2}$/.test(plus.slice(i + 1, i + 3))) {
      bytes.push(parseInt(plus.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      bytes.push(...Buffer.from(plus[i]!, 'utf8'));
    }
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    throw new BadRequestError(UNDECODABLE_REQUEST);
  }
}

/**
 * Parses a query string like WebOb does: strictly, so percent-encoded bytes that are not
 * UTF-8 are a 400 (spec v2 §1.5) instead of turning into U+FFFD as URLSearchParams would.
 */
export function parseQueryString(rawUrl: string | undefined): URLSearchParams {
  const at = rawUrl?.indexOf('?') ?? -1;
  const params = new URLSearchParams();
  if (rawUrl === undefined || at === -1) return params;
  for (const pair of rawUrl.slice(at + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    params.append(key, eq === -1 ? '' : decodeComponent(pair.slice(eq + 1)));
  }
  return params;
}
