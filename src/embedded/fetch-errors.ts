import { BadRequestError, CoreError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../core/errors.js';
import { FetchFailedError, FetchRefusedError, FetchTooLargeError } from '../fetch/errors.js';

/**
 * A failed outbound fetch as the core reports it: refused URLs and unusable sources are the
 * caller's mistake (400), a remote 404 stays 404, an unreachable source is 503.
 */
export function fetchErrorToCore(e: unknown, url: string): unknown {
  if (e instanceof CoreError) return e;
  if (e instanceof FetchRefusedError) {
    return new BadRequestError(`The URL ${e.url} is not allowed: ${e.reason === 'address' ? 'the address is not reachable from this service' : `bad ${e.reason}`}.`, {
      reason: 'fetch_refused',
    });
  }
  if (e instanceof FetchTooLargeError) {
    return new PayloadTooLargeError('The incoming image is too large: The provided image is too large.', { reason: 'size_cap' });
  }
  if (e instanceof FetchFailedError) {
    if (e.kind === 'status' && e.status === 404) return new NotFoundError(`Image data not found at ${e.url}`, { reason: 'remote_not_found' });
    if (e.kind === 'status') return new BadRequestError(`The source ${e.url} answered ${e.status ?? 'an error'}.`, { reason: 'remote_status' });
    return new ServiceUnavailableError(`The source ${e.url} is unavailable (${e.kind}).`, { reason: 'remote_unavailable' });
  }
  void url;
  return e;
}
