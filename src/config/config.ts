import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { BootstrapAccount } from '../services/iam/bootstrap.js';

/** sealq's configuration: defaults, then a file, then SEALQ_* variables, then flags. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  accountId: string;
  region: string;
  allowReset: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** 'process': acknowledged writes survive the server being killed; 'power': also power loss. */
  durability: 'process' | 'power';
  /** Largest request body accepted, in bytes. */
  maxRequestBytes: number;
  /** 'enforce': every signature is verified; 'permissive' (test rigs): any well-formed one is accepted. */
  auth: 'enforce' | 'permissive';
  /** The default account's root credentials; generated into the data directory when unset. */
  rootAccessKeyId: string | undefined;
  rootSecretAccessKey: string | undefined;
  /** PEM files: serve HTTPS instead of HTTP. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Accounts, users, roles, groups and policies declared in the config file. */
  accounts: BootstrapAccount[];
  /** The KMS root key (base64 of 32 bytes), or a file holding it; else generated in the data directory. */
  rootKey: string | undefined;
  rootKeyFile: string | undefined;
  /** KMS request quota across all callers (0: none); above it KMS answers ThrottlingException. */
  kmsRequestsPerSecond: number;
  /** 'sqlite' (a file in the data directory) or a postgres:// URL (one node per schema for now). */
  storage: string;
  /** Connections each node keeps to PostgreSQL. */
  storagePoolSize: number;
  /** The PostgreSQL schema holding sealq's tables (created on first start). */
  storageSchema: string;
}

export const defaultConfig: Readonly<Config> = Object.freeze({
  host: '127.0.0.1',
  port: 9324,
  dataDir: './.sealq',
  accountId: '000000000000',
  region: 'us-east-1',
  allowReset: false,
  logLevel: 'info',
  durability: 'process',
  maxRequestBytes: 4 * 1024 * 1024,
  auth: 'enforce',
  rootAccessKeyId: undefined,
  rootSecretAccessKey: undefined,
  tlsCert: undefined,
  tlsKey: undefined,
  accounts: [],
  rootKey: undefined,
  rootKeyFile: undefined,
  kmsRequestsPerSecond: 0,
  storage: 'sqlite',
  storagePoolSize: 10,
  storageSchema: 'sealq',
});

type Kind =
  | 'string'
  | 'optionalString'
  | 'port'
  | 'boolean'
  | 'account'
  | 'region'
  | 'logLevel'
  | 'durability'
  | 'bytes'
  | 'authMode'
  | 'accounts'
  | 'storage'
  | 'poolSize'
  | 'schema';

/** Every option: its kind, its flag and its environment variable (derived from the name). */
export const options: Record<keyof Config, { kind: Kind; flag: string; env: string; help: string }> = {
  host: { kind: 'string', flag: 'host', env: 'SEALQ_HOST', help: 'address to listen on' },
  port: { kind: 'port', flag: 'port', env: 'SEALQ_PORT', help: 'port to listen on (0 picks a free one)' },
  dataDir: { kind: 'string', flag: 'data-dir', env: 'SEALQ_DATA_DIR', help: 'directory for the SQLite database' },
  accountId: { kind: 'account', flag: 'account-id', env: 'SEALQ_ACCOUNT_ID', help: 'the 12-digit AWS account id' },
  region: { kind: 'region', flag: 'region', env: 'SEALQ_REGION', help: 'region used in queue ARNs' },
  allowReset: { kind: 'boolean', flag: 'allow-reset', env: 'SEALQ_ALLOW_RESET', help: 'serve POST /_sealq/reset (test rigs only)' },
  logLevel: { kind: 'logLevel', flag: 'log-level', env: 'SEALQ_LOG_LEVEL', help: 'fatal|error|warn|info|debug|trace|silent' },
  durability: { kind: 'durability', flag: 'durability', env: 'SEALQ_DURABILITY', help: "'process' (survive kill -9) or 'power' (fsync every commit)" },
  maxRequestBytes: { kind: 'bytes', flag: 'max-request-bytes', env: 'SEALQ_MAX_REQUEST_BYTES', help: 'largest request body accepted' },
  auth: { kind: 'authMode', flag: 'auth', env: 'SEALQ_AUTH', help: "'enforce' (verify every signature) or 'permissive' (test rigs)" },
  rootAccessKeyId: { kind: 'optionalString', flag: 'root-access-key-id', env: 'SEALQ_ROOT_ACCESS_KEY_ID', help: 'root access key of the default account' },
  rootSecretAccessKey: { kind: 'optionalString', flag: 'root-secret-access-key', env: 'SEALQ_ROOT_SECRET_ACCESS_KEY', help: 'root secret key of the default account' },
  tlsCert: { kind: 'optionalString', flag: 'tls-cert', env: 'SEALQ_TLS_CERT', help: 'PEM certificate file: serve HTTPS' },
  tlsKey: { kind: 'optionalString', flag: 'tls-key', env: 'SEALQ_TLS_KEY', help: 'PEM private key file for --tls-cert' },
  rootKey: { kind: 'optionalString', flag: 'root-key', env: 'SEALQ_ROOT_KEY', help: 'KMS root key, base64 of 32 bytes (prefer --root-key-file)' },
  rootKeyFile: { kind: 'optionalString', flag: 'root-key-file', env: 'SEALQ_ROOT_KEY_FILE', help: 'file holding the KMS root key' },
  kmsRequestsPerSecond: { kind: 'bytes', flag: 'kms-requests-per-second', env: 'SEALQ_KMS_REQUESTS_PER_SECOND', help: 'KMS request quota (0: unlimited)' },
  storage: { kind: 'storage', flag: 'storage', env: 'SEALQ_STORAGE', help: "'sqlite' or postgres://user@host:5432/db" },
  storagePoolSize: { kind: 'poolSize', flag: 'storage-pool-size', env: 'SEALQ_STORAGE_POOL_SIZE', help: 'PostgreSQL connections per node' },
  storageSchema: { kind: 'schema', flag: 'storage-schema', env: 'SEALQ_STORAGE_SCHEMA', help: 'PostgreSQL schema for the tables' },
  accounts: { kind: 'accounts', flag: 'accounts', env: 'SEALQ_ACCOUNTS', help: 'accounts, users, roles and policies (config file; JSON in the variable)' },
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

function coerce(kind: Kind, raw: unknown, where: string, problems: string[]): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (kind) {
    case 'string':
      if (typeof text !== 'string' || text === '') problems.push(`${where}: must be a non-empty string`);
      return text;
    case 'optionalString':
      if (text === undefined || text === '') return undefined;
      if (typeof text !== 'string') problems.push(`${where}: must be a string`);
      return text;
    case 'authMode':
      if (text !== 'enforce' && text !== 'permissive') problems.push(`${where}: must be 'enforce' or 'permissive'`);
      return text;
    case 'accounts': {
      const value = typeof text === 'string' ? safeJson(text, where, problems) : text;
      if (!Array.isArray(value)) {
        problems.push(`${where}: must be a list of accounts`);
        return [];
      }
      value.forEach((a: unknown, i) => {
        const id = (a as { id?: unknown } | null)?.id;
        if (typeof id !== 'string' || !/^\d{12}$/.test(id)) problems.push(`${where}[${i}].id: must be a 12-digit account id`);
      });
      return value;
    }
    case 'port':
    case 'bytes': {
      const n = typeof text === 'number' ? text : Number(text);
      const max = kind === 'port' ? 65535 : 1 << 30;
      if (!Number.isInteger(n) || n < 0 || n > max) problems.push(`${where}: must be an integer from 0 to ${max}`);
      return n;
    }
    case 'boolean':
      if (typeof text === 'boolean') return text;
      if (text === '1' || text === 'true') return true;
      if (text === '0' || text === 'false' || text === '') return false;
      problems.push(`${where}: must be true/false (or 1/0)`);
      return false;
    case 'account':
      if (typeof text !== 'string' || !/^\d{12}$/.test(text)) problems.push(`${where}: must be 12 digits`);
      return text;
    case 'region':
      if (typeof text !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(text)) problems.push(`${where}: must look like us-east-1`);
      return text;
    case 'logLevel':
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(String(text))) {
        problems.push(`${where}: must be one of fatal, error, warn, info, debug, trace, silent`);
      }
      return text;
    case 'durability':
      if (text !== 'process' && text !== 'power') problems.push(`${where}: must be 'process' or 'power'`);
      return text;
    case 'storage':
      // The URL may carry a password, so it is never echoed back in the problem.
      if (text !== 'sqlite' && !(typeof text === 'string' && /^postgres(ql)?:\/\/./.test(text))) {
        problems.push(`${where}: must be 'sqlite' or a postgres:// URL`);
      }
      return text;
    case 'poolSize': {
      const n = typeof text === 'number' ? text : Number(text);
      if (!Number.isInteger(n) || n < 1 || n > 1000) problems.push(`${where}: must be an integer from 1 to 1000`);
      return n;
    }
    case 'schema':
      // PostgreSQL folds unquoted names to lower case, so only lower-case names round-trip.
      if (typeof text !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(text)) problems.push(`${where}: must match [a-z_][a-z0-9_]*`);
      return text;
  }
}

function safeJson(text: string, where: string, problems: string[]): unknown {
  try {
    return JSON.parse(text);
  } catch {
    problems.push(`${where}: must be JSON`);
    return undefined;
  }
}

export function readConfigFile(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`${path}: must be a map of options`]);
  return parsed as Record<string, unknown>;
}

/**
 * Layers the sources and validates the result once. Every problem is reported together, with
 * where it came from; unknown keys in the file are problems too.
 */
export function loadConfig(sources: {
  file?: Record<string, unknown>;
  filePath?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Partial<Record<string, unknown>>;
}): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = { ...defaultConfig };
  const byFileKey = new Map<string, keyof Config>();
  for (const key of Object.keys(options) as Array<keyof Config>) {
    byFileKey.set(key, key);
    byFileKey.set(options[key].flag, key);
  }
  for (const [fileKey, raw] of Object.entries(sources.file ?? {})) {
    const key = byFileKey.get(fileKey);
    if (!key) {
      problems.push(`${sources.filePath ?? 'config file'}: unknown key '${fileKey}'`);
      continue;
    }
    config[key] = coerce(options[key].kind, raw, `${sources.filePath ?? 'config file'}: ${fileKey}`, problems);
  }
  for (const key of Object.keys(options) as Array<keyof Config>) {
    const env = sources.env?.[options[key].env];
    if (env !== undefined && env !== '') config[key] = coerce(options[key].kind, env, options[key].env, problems);
  }
  for (const key of Object.keys(options) as Array<keyof Config>) {
    const flag = sources.flags?.[options[key].flag];
    if (flag !== undefined) config[key] = coerce(options[key].kind, flag, `--${options[key].flag}`, problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config as unknown as Config);
}
