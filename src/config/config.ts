/**
 * The gateway's configuration: one validated, immutable object built at start-up.
 * Only src/main.ts reads the environment and argv; everything else receives a Config.
 */
export type AuthMode = 'noauth' | 'keystone' | 'static';
export type CoreMode = 'embedded' | 'upstream';

export interface StoreConfig {
  id: string;
  path: string;
  description?: string;
}

export interface Limits {
  /** Glance image_size_cap: 1 TiB. */
  imageSizeCap: number;
  /** Glance user_storage_quota in bytes, 0 = unlimited. */
  userStorageQuota: number;
  apiLimitMax: number;
  limitParamDefault: number;
  propertyQuota: number;
  tagQuota: number;
  memberQuota: number;
  locationQuota: number;
  /** Cap on JSON request bodies (metadata, not image data). */
  maxJsonBodyBytes: number;
  maxJsonDepth: number;
  maxHeaderCount: number;
  maxUrlLength: number;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  mode: CoreMode;
  auth: {
    mode: AuthMode;
    /** Project of requests that carry no context headers in noauth mode (they run as admin). */
    noauthProject: string;
    /** `keystone` mode: the identity service and the gateway's own service credentials. */
    keystone?: {
      url: string;
      username: string;
      password: string;
      project: string;
      userDomain: string;
      projectDomain: string;
      /** Longest a validated token is trusted without asking Keystone again. */
      cacheTtlMs: number;
      timeoutMs: number;
    };
    /** `static` mode: JSON file mapping token → project, user and roles; re-read on SIGHUP. */
    tokensFile?: string;
  };
  /** null: single store (Glance without enabled_backends); otherwise named stores. */
  stores: StoreConfig[] | null;
  defaultStore: string | null;
  limits: Limits;
  importMethods: string[];
  diskFormats: string[];
  containerFormats: string[];
  publicEndpoint: string | null;
  /** Entries in the image metadata cache. */
  cacheSize: number;
  /** How long SIGTERM waits for in-flight requests. */
  shutdownTimeoutMs: number;
  logLevel: string;
  /** SQLite synchronous pragma: NORMAL survives process crashes; FULL also power loss. */
  dbSynchronous: 'NORMAL' | 'FULL';
  hashWorkers: number;
  /** Outbound URL fetches: v1 copy-from and locations, web-download. */
  fetch: {
    /** CIDRs and host names exempt from the refusal of loopback/private/link-local addresses. */
    allow: string[];
    /** Allowed ports; null = any. Glance's default is 80 and 443. */
    ports: number[] | null;
    maxRedirects: number;
    connectTimeoutMs: number;
    /** Whole transfer; 0 = no limit. */
    totalTimeoutMs: number;
  };
  /** Serve the legacy v1 dialect. */
  v1: boolean;
  /** `mode: 'upstream'`: the Glance v2 the gateway fronts. */
  upstream: UpstreamConfig;
}

export interface UpstreamConfig {
  /** Base URL of the Glance API (without /v2); required in upstream mode. */
  url: string | null;
  /** TCP (+TLS) connect, per attempt. */
  connectTimeoutMs: number;
  /** From the request fully sent to the response headers. */
  headersTimeoutMs: number;
  /** Longest silence between two body chunks (either direction is bounded by the socket). */
  bodyTimeoutMs: number;
  /** Connections in the one shared pool. */
  connections: number;
  /** Extra attempts for idempotent requests without a body after a connection failure. */
  retries: number;
  tls: {
    /** PEM file of CA certificates trusted for the upstream (in addition to none: replaces the system list). */
    caFile?: string;
    /** PEM client certificate and key for mutual TLS. */
    certFile?: string;
    keyFile?: string;
    /** Verify the upstream certificate (default true). */
    rejectUnauthorized: boolean;
  };
  /** Metadata cache of upstream image records (v1 HEAD/GET hot path). */
  cacheTtlMs: number;
  cacheSize: number;
}

export const DEFAULT_UPSTREAM: UpstreamConfig = {
  url: null,
  connectTimeoutMs: 5000,
  headersTimeoutMs: 60000,
  bodyTimeoutMs: 300000,
  connections: 64,
  retries: 1,
  tls: { rejectUnauthorized: true },
  cacheTtlMs: 30000,
  cacheSize: 10000,
};

export const DEFAULT_LIMITS: Limits = {
  imageSizeCap: 1099511627776,
  userStorageQuota: 0,
  apiLimitMax: 1000,
  limitParamDefault: 25,
  propertyQuota: 128,
  tagQuota: 128,
  memberQuota: 128,
  locationQuota: 10,
  maxJsonBodyBytes: 1024 * 1024,
  maxJsonDepth: 32,
  maxHeaderCount: 200,
  maxUrlLength: 16384,
};

export const DEFAULT_CONFIG: Config = {
  host: '127.0.0.1',
  port: 9292,
  dataDir: './data',
  mode: 'embedded',
  auth: { mode: 'noauth', noauthProject: 'admin' },
  stores: null,
  defaultStore: null,
  limits: DEFAULT_LIMITS,
  importMethods: ['glance-direct', 'web-download'],
  diskFormats: ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'],
  containerFormats: ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'],
  publicEndpoint: null,
  cacheSize: 10000,
  shutdownTimeoutMs: 30000,
  logLevel: 'info',
  dbSynchronous: 'NORMAL',
  hashWorkers: 4,
  fetch: { allow: [], ports: [80, 443], maxRedirects: 5, connectTimeoutMs: 10000, totalTimeoutMs: 6 * 3600 * 1000 },
  v1: true,
  upstream: DEFAULT_UPSTREAM,
};
