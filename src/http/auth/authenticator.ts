import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../../core/context.js';

/**
 * Turns request headers into a caller context, or throws UnauthorizedError / ServiceUnavailableError.
 * Adding Keystone or a static token file is a matter of another implementation of this.
 */
export interface Authenticator {
  readonly mode: string;
  authenticate(headers: IncomingHttpHeaders, requestId: string, signal: AbortSignal): Promise<RequestContext>;
  /** Re-reads whatever the authenticator loaded at start (SIGHUP); throws, keeping the old state, on error. */
  reload?(): unknown;
  close?(): Promise<void>;
}
