import { parseAllowList } from '../fetch/address-policy.js';
import { DEFAULT_CONFIG, type Config, type Limits, type StoreConfig } from './config.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
const PREFIX = 'GLANCE_GATEWAY_';

/** Env variable (without prefix) → how it lands in the config. One row per option. */
const INT_LIMITS: Array<[string, keyof Limits, number]> = [
  ['IMAGE_SIZE_CAP', 'imageSizeCap', 0],
  ['USER_STORAGE_QUOTA', 'userStorageQuota', 0],
  ['API_LIMIT_MAX', 'apiLimitMax', 1],
  ['LIMIT_PARAM_DEFAULT', 'limitParamDefault', 1],
  ['IMAGE_PROPERTY_QUOTA', 'propertyQuota', -1],
  ['IMAGE_TAG_QUOTA', 'tagQuota', -1],
  ['IMAGE_MEMBER_QUOTA', 'memberQuota', -1],
  ['IMAGE_LOCATION_QUOTA', 'locationQuota', -1],
  ['MAX_JSON_BODY_BYTES', 'maxJsonBodyBytes', 1],
  ['MAX_JSON_DEPTH', 'maxJsonDepth', 1],
  ['MAX_HEADER_COUNT', 'maxHeaderCount', 1],
  ['MAX_URL_LENGTH', 'maxUrlLength', 64],
];

const KNOWN_IMPORT_METHODS = ['glance-direct', 'web-download'];

/**
 * Builds the configuration from defaults, then the optional JSON config file, then the
 * environment (env wins). Every problem is collected so the operator sees them all at once.
 */
export function loadConfig(env: Env, fileText: string | null, filePath = 'config file'): Config {
  const problems: string[] = [];
  let fromFile: Partial<Config> = {};
  if (fileText !== null) {
    try {
      const parsed: unknown = JSON.parse(fileText);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`${filePath}: must hold a JSON object`);
      } else {
        fromFile = parsed as Partial<Config>;
      }
    } catch (e) {
      problems.push(`${filePath}: not valid JSON (${(e as Error).message})`);
    }
  }
  const cfg: Config = {
    ...DEFAULT_CONFIG,
    ...fromFile,
    auth: { ...DEFAULT_CONFIG.auth, ...(fromFile.auth ?? {}) },
    limits: { ...DEFAULT_CONFIG.limits, ...(fromFile.limits ?? {}) },
    fetch: { ...DEFAULT_CONFIG.fetch, ...(fromFile.fetch ?? {}) },
    upstream: {
      ...DEFAULT_CONFIG.upstream,
      ...(fromFile.upstream ?? {}),
      tls: { ...DEFAULT_CONFIG.upstream.tls, ...(fromFile.upstream?.tls ?? {}) },
    },
  };
  const get = (name: string): string | undefined => {
    const v = env[PREFIX + name];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (name: string, min: number): number | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    if (!/^-?\d+$/.test(raw.trim())) {
      problems.push(`${PREFIX}${name}: expected an integer, got '${raw}'`);
      return undefined;
    }
    const n = Number(raw.trim());
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`${PREFIX}${name}: must be an integer >= ${min}, got '${raw}'`);
      return undefined;
    }
    return n;
  };
  const list = (name: string): string[] | undefined =>
    get(name)
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');

  cfg.host = get('HOST') ?? cfg.host;
  cfg.port = int('PORT', 0) ?? cfg.port;
  cfg.dataDir = get('DATA_DIR') ?? cfg.dataDir;
  cfg.mode = (get('MODE') as Config['mode'] | undefined) ?? cfg.mode;
  cfg.auth.mode = (get('AUTH') as Config['auth']['mode'] | undefined) ?? cfg.auth.mode;
  cfg.auth.noauthProject = get('NOAUTH_PROJECT') ?? cfg.auth.noauthProject;
  cfg.auth.tokensFile = get('TOKENS_FILE') ?? cfg.auth.tokensFile;
  const ks = { ...(cfg.auth.keystone ?? {}) } as Partial<NonNullable<Config['auth']['keystone']>>;
  ks.url = get('KEYSTONE_URL') ?? ks.url;
  ks.username = get('KEYSTONE_USERNAME') ?? ks.username;
  ks.password = get('KEYSTONE_PASSWORD') ?? ks.password;
  ks.project = get('KEYSTONE_PROJECT') ?? ks.project;
  ks.userDomain = get('KEYSTONE_USER_DOMAIN') ?? ks.userDomain ?? 'Default';
  ks.projectDomain = get('KEYSTONE_PROJECT_DOMAIN') ?? ks.projectDomain ?? 'Default';
  ks.cacheTtlMs = int('KEYSTONE_TOKEN_CACHE_TTL_MS', 0) ?? ks.cacheTtlMs ?? 300000;
  ks.timeoutMs = int('KEYSTONE_TIMEOUT_MS', 1) ?? ks.timeoutMs ?? 5000;
  if (cfg.auth.mode === 'keystone') {
    for (const key of ['url', 'username', 'password', 'project'] as const) {
      if (!ks[key]) problems.push(`auth: keystone mode needs ${PREFIX}KEYSTONE_${key.toUpperCase()} (or auth.keystone.${key})`);
    }
  }
  if (ks.url !== undefined) cfg.auth.keystone = ks as NonNullable<Config['auth']['keystone']>;
  const storesEnv = get('STORES');
  if (storesEnv !== undefined) cfg.stores = parseStores(storesEnv, problems);
  cfg.defaultStore = get('DEFAULT_STORE') ?? cfg.defaultStore;
  for (const [name, key, min] of INT_LIMITS) cfg.limits[key] = int(name, min) ?? cfg.limits[key];
  cfg.importMethods = list('IMPORT_METHODS') ?? cfg.importMethods;
  cfg.diskFormats = list('DISK_FORMATS') ?? cfg.diskFormats;
  cfg.containerFormats = list('CONTAINER_FORMATS') ?? cfg.containerFormats;
  cfg.publicEndpoint = get('PUBLIC_ENDPOINT') ?? cfg.publicEndpoint;
  cfg.cacheSize = int('CACHE_SIZE', 0) ?? cfg.cacheSize;
  cfg.shutdownTimeoutMs = int('SHUTDOWN_TIMEOUT_MS', 0) ?? cfg.shutdownTimeoutMs;
  cfg.logLevel = get('LOG_LEVEL') ?? cfg.logLevel;
  cfg.dbSynchronous = (get('DB_SYNCHRONOUS')?.toUpperCase() as Config['dbSynchronous'] | undefined) ?? cfg.dbSynchronous;
  cfg.hashWorkers = int('HASH_WORKERS', 1) ?? cfg.hashWorkers;
  cfg.fetch.allow = list('FETCH_ALLOW') ?? cfg.fetch.allow;
  const ports = get('FETCH_PORTS');
  if (ports !== undefined) cfg.fetch.ports = ports.trim() === 'any' ? null : parsePorts(ports, problems);
  cfg.fetch.maxRedirects = int('FETCH_MAX_REDIRECTS', 0) ?? cfg.fetch.maxRedirects;
  cfg.fetch.connectTimeoutMs = int('FETCH_CONNECT_TIMEOUT_MS', 1) ?? cfg.fetch.connectTimeoutMs;
  cfg.fetch.totalTimeoutMs = int('FETCH_TOTAL_TIMEOUT_MS', 0) ?? cfg.fetch.totalTimeoutMs;
  const up = cfg.upstream;
  up.url = get('UPSTREAM_URL') ?? up.url;
  up.connectTimeoutMs = int('UPSTREAM_CONNECT_TIMEOUT_MS', 1) ?? up.connectTimeoutMs;
  up.headersTimeoutMs = int('UPSTREAM_HEADERS_TIMEOUT_MS', 1) ?? up.headersTimeoutMs;
  up.bodyTimeoutMs = int('UPSTREAM_BODY_TIMEOUT_MS', 1) ?? up.bodyTimeoutMs;
  up.connections = int('UPSTREAM_CONNECTIONS', 1) ?? up.connections;
  up.retries = int('UPSTREAM_RETRIES', 0) ?? up.retries;
  up.tls.caFile = get('UPSTREAM_CA_FILE') ?? up.tls.caFile;
  up.tls.certFile = get('UPSTREAM_CERT_FILE') ?? up.tls.certFile;
  up.tls.keyFile = get('UPSTREAM_KEY_FILE') ?? up.tls.keyFile;
  const insecure = get('UPSTREAM_INSECURE');
  if (insecure !== undefined) up.tls.rejectUnauthorized = ['0', 'false', 'no', 'off'].includes(insecure.toLowerCase());
  up.cacheTtlMs = int('UPSTREAM_CACHE_TTL_MS', 0) ?? up.cacheTtlMs;
  up.cacheSize = int('UPSTREAM_CACHE_SIZE', 0) ?? up.cacheSize;
  const v1 = get('V1');
  if (v1 !== undefined) cfg.v1 = !['0', 'false', 'no', 'off'].includes(v1.toLowerCase());

  validate(cfg, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

function parsePorts(raw: string, problems: string[]): number[] {
  const ports = raw.split(',').map((p) => p.trim()).filter(Boolean).map(Number);
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    problems.push(`${PREFIX}FETCH_PORTS: expected 'any' or a comma-separated list of ports, got '${raw}'`);
  }
  return ports;
}

function parseStores(raw: string, problems: string[]): StoreConfig[] {
  const stores: StoreConfig[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    if (at <= 0 || at === entry.length - 1) {
      problems.push(`${PREFIX}STORES: entry '${entry}' must look like id:path`);
      continue;
    }
    stores.push({ id: entry.slice(0, at), path: entry.slice(at + 1) });
  }
  return stores;
}

function validate(cfg: Config, problems: string[]): void {
  if (cfg.port > 65535) problems.push(`port: must be 0..65535, got ${cfg.port}`);
  if (!['embedded', 'upstream'].includes(cfg.mode)) problems.push(`mode: must be embedded or upstream, got '${cfg.mode}'`);
  if (cfg.mode === 'upstream') validateUpstream(cfg.upstream, problems);
  if (!['noauth', 'keystone', 'static'].includes(cfg.auth.mode)) {
    problems.push(`auth: must be noauth, keystone or static, got '${cfg.auth.mode}'`);
  } else if (cfg.auth.mode === 'static' && !cfg.auth.tokensFile) {
    problems.push(`auth: static mode needs ${PREFIX}TOKENS_FILE (or auth.tokensFile)`);
  }
  if (!['NORMAL', 'FULL'].includes(cfg.dbSynchronous)) problems.push(`dbSynchronous: must be NORMAL or FULL`);
  for (const m of cfg.importMethods) {
    if (!KNOWN_IMPORT_METHODS.includes(m)) problems.push(`importMethods: '${m}' is not supported (known: ${KNOWN_IMPORT_METHODS.join(', ')})`);
  }
  if (cfg.stores !== null) {
    if (cfg.stores.length === 0) problems.push('stores: at least one store is needed');
    const ids = new Set<string>();
    for (const s of cfg.stores) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(s.id)) problems.push(`stores: id '${s.id}' must be 1-64 of [A-Za-z0-9_-]`);
      if (s.id.startsWith('os_glance')) problems.push(`stores: id '${s.id}' is reserved`);
      if (ids.has(s.id)) problems.push(`stores: duplicate id '${s.id}'`);
      ids.add(s.id);
    }
    if (cfg.defaultStore === null) cfg.defaultStore = cfg.stores[0]?.id ?? null;
    else if (!ids.has(cfg.defaultStore)) problems.push(`defaultStore: '${cfg.defaultStore}' is not a configured store`);
  } else if (cfg.defaultStore !== null) {
    problems.push('defaultStore: set only together with stores');
  }
  if (cfg.limits.limitParamDefault > cfg.limits.apiLimitMax) problems.push('limits: limitParamDefault exceeds apiLimitMax');
  try {
    parseAllowList(cfg.fetch.allow);
  } catch (e) {
    problems.push(`fetch.allow: ${(e as Error).message}`);
  }
  if (cfg.diskFormats.length === 0 || cfg.containerFormats.length === 0) problems.push('formats: lists must not be empty');
}

function validateUpstream(up: Config['upstream'], problems: string[]): void {
  if (up.url === null || up.url === '') {
    problems.push(`upstream: upstream mode needs ${PREFIX}UPSTREAM_URL (or upstream.url)`);
    return;
  }
  let url: URL;
  try {
    url = new URL(up.url);
  } catch {
    problems.push(`upstream.url: not a URL: '${up.url}'`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`upstream.url: must be http or https, got '${url.protocol}'`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.push('upstream.url: must not carry credentials, a query or a fragment');
  }
  if ((up.tls.certFile === undefined) !== (up.tls.keyFile === undefined)) {
    problems.push('upstream.tls: certFile and keyFile go together');
  }
  for (const [key, min] of [['connectTimeoutMs', 1], ['headersTimeoutMs', 1], ['bodyTimeoutMs', 1], ['connections', 1], ['retries', 0], ['cacheTtlMs', 0], ['cacheSize', 0]] as const) {
    if (!Number.isSafeInteger(up[key]) || up[key] < min) problems.push(`upstream.${key}: must be an integer >= ${min}`);
  }
}
