import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig } from './config.js';

describe('configuration', () => {
  it('starts from the documented defaults', () => {
    expect(loadConfig({})).toEqual(defaultConfig);
    expect(defaultConfig).toMatchObject({ port: 9324, host: '127.0.0.1', accountId: '000000000000', region: 'us-east-1' });
  });

  it('layers file, then SEALQ_* environment, then flags', () => {
    const config = loadConfig({
      file: { port: 1000, region: 'eu-west-1', 'account-id': '111111111111' },
      env: { SEALQ_PORT: '2000', SEALQ_ALLOW_RESET: '1' },
      flags: { port: '3000' },
    });
    expect(config).toMatchObject({ port: 3000, region: 'eu-west-1', accountId: '111111111111', allowReset: true });
  });

  it('reports every problem at once, with where it came from', () => {
    try {
      loadConfig({ file: { colour: 'blue' }, filePath: 'sealq.yaml', env: { SEALQ_ACCOUNT_ID: '12' }, flags: { port: 'x' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/sealq.yaml: unknown key 'colour'/);
      expect(problems.join('\n')).toMatch(/SEALQ_ACCOUNT_ID: must be 12 digits/);
      expect(problems.join('\n')).toMatch(/--port: must be an integer/);
    }
  });

  it('takes sqlite or a postgres:// URL as storage, and never echoes the URL (it may hold a password)', () => {
    expect(loadConfig({ env: { SEALQ_STORAGE: 'postgres://u:pw@db:5432/sealq', SEALQ_STORAGE_POOL_SIZE: '25' } })).toMatchObject({
      storage: 'postgres://u:pw@db:5432/sealq',
      storagePoolSize: 25,
      storageSchema: 'sealq',
    });
    expect(loadConfig({ flags: { storage: 'postgresql://db/x', 'storage-schema': 'queues_1' } }).storageSchema).toBe('queues_1');
    try {
      loadConfig({ flags: { storage: 'mysql://u:secret@db/x', 'storage-pool-size': '0', 'storage-schema': 'Sealq' } });
      expect.unreachable();
    } catch (error) {
      const text = (error as ConfigError).problems.join('\n');
      expect(text).toMatch(/--storage: must be 'sqlite' or a postgres:\/\/ URL/);
      expect(text).toMatch(/--storage-pool-size: must be an integer from 1 to 1000/);
      expect(text).toMatch(/--storage-schema: must match/);
      expect(text).not.toContain('secret');
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});
