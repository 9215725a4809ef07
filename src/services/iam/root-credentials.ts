import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAwsId, newSecret } from './identity-directory.js';

export interface RootCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** True when they were made just now: the server prints them this once. */
  generated: boolean;
}

const FILE = 'root-credentials.json';

/**
 * The default account's root credentials: from the configuration when given, else from the data
 * directory, else new ones written there readable by the owner only.
 */
export function rootCredentials(
  dataDir: string,
  configured: { accessKeyId: string | undefined; secretAccessKey: string | undefined },
): RootCredentials {
  if (configured.accessKeyId && configured.secretAccessKey) {
    return { accessKeyId: configured.accessKeyId, secretAccessKey: configured.secretAccessKey, generated: false };
  }
  const path = join(dataDir, FILE);
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
    return { ...stored, generated: false };
  }
  const created = { accessKeyId: newAwsId('AKIA', 20), secretAccessKey: newSecret() };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(created, null, 2) + '\n', { mode: 0o600 });
  return { ...created, generated: true };
}
