/**
 * JSON request bodies (spec v2 §1.5): bounded reading, strict UTF-8, a nesting limit and
 * Glance's 400 messages.
 */
import type { IncomingMessage } from 'node:http';
import { BadRequestError, ClientAbortError, PayloadTooLargeError } from '../core/errors.js';

export const MALFORMED_JSON = 'Malformed JSON in request body.';
export const UNEXPECTED_BODY_TYPE = 'Unexpected body type. Expected list/dict.';
export const UNDECODABLE_REQUEST =
  'Error decoding your request. Either the URL or the request body contained characters that could not be decoded by Glance';
export const TOO_DEEP = 'JSON body nested too deeply.';

export interface JsonLimits {
  /** Maximum nesting of arrays/objects; 1 allows `{}` and `[1]` but not `[[1]]`. */
  maxDepth: number;
}

/**
 * Nesting depth of a JSON text, counted without recursion so a hostile `[[[[…` cannot
 * exhaust the stack. Brackets inside strings are skipped; validity is JSON.parse's job.
 * Stops counting as soon as `limit` is exceeded.
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export function parseJsonBody(text: string, limits: JsonLimits): unknown {
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) throw new BadRequestError(TOO_DEEP);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BadRequestError(MALFORMED_JSON, { cause: e });
  }
}

/**
 * The body as a JSON object. Glance refuses scalars with this message and crashes (500) on
 * arrays where it wants an object; both get the 400 here (spec §15 #1).
 */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(UNEXPECTED_BODY_TYPE);
  }
  return body as Record<string, unknown>;
}

/**
 * Reads a whole (small, JSON) request body as text. More than `maxBytes` → 413 without
 * reading further (the caller should close the connection, the rest is still in flight);
 * a declared Content-Length above the cap is refused before reading anything.
 * Bytes that are not UTF-8 → Glance's "Error decoding" 400. A BOM is kept, so that JSON.parse
 * rejects it as Python's json does.
 */
export function readBodyText(req: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const tooLarge = (): PayloadTooLargeError =>
      new PayloadTooLargeError(`Request body is larger than the limit of ${maxBytes} bytes.`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(tooLarge());
      return;
    }
    if (signal.aborted) {
      reject(new ClientAbortError());
      return;
    }
    // Nothing would ever arrive: fail loudly instead of hanging.
    if (req.readableEnded) {
      reject(new Error('request body was already consumed'));
      return;
    }

    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (err: Error | null, value?: string): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err) {
        // Stop pulling bytes we are going to discard anyway.
        req.pause();
        reject(err);
      } else {
        resolve(value ?? '');
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += buf.length;
      if (total > maxBytes) {
        finish(tooLarge());
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => {
      try {
        finish(null, new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks)));
      } catch (e) {
        finish(new BadRequestError(UNDECODABLE_REQUEST, { cause: e }));
      }
    };
    const onError = (e: Error): void => finish(e);
    // 'close' before 'end' means the client went away mid-body.
    const onClose = (): void => finish(new ClientAbortError());
    const onAbort = (): void => finish(new ClientAbortError());

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
