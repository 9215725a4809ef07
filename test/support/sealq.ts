import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as JsonSqs from '@aws-sdk/client-sqs';
import * as QuerySqs from '@aws-sdk/client-sqs-query';
import { loadConfig, startSealq, type Sealq, type SealqOptions } from '../../src/index.js';


export interface TestServer {
  sealq: Sealq;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A sealq server on a free port with its own SQLite file in a temp directory. */
export async function startTestServer(
  overrides: Record<string, unknown> = {},
  options: SealqOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-test-'));
  const config = loadConfig({
    flags: {
      port: '0',
      'data-dir': dataDir,
      'log-level': 'silent',
      'root-access-key-id': testCredentials.accessKeyId,
      'root-secret-access-key': testCredentials.secretAccessKey,
      ...overrides,
    },
  });
  const sealq = await startSealq(config, options);
  return {
    sealq,
    url: sealq.url,
    dataDir,
    async stop() {
      await sealq.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const testCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/**
 * The two wire protocols, each through a real AWS SDK v3 client: the current client speaks AWS
 * JSON 1.0; @aws-sdk/client-sqs@3.445.0 (installed as @aws-sdk/client-sqs-query) is the last
 * release that spoke AWS Query. Both expose the same command classes.
 */
export const protocols = [
  { name: 'json', sdk: JsonSqs as unknown as typeof JsonSqs },
  { name: 'query', sdk: QuerySqs as unknown as typeof JsonSqs },
] as const;

export type Sdk = typeof JsonSqs;

export function clientFor(sdk: Sdk, url: string): JsonSqs.SQSClient {
  return new sdk.SQSClient({ endpoint: url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
}

/** An SDK error reduced to what both protocols agree on: the AWS Query code, status, message. */
export interface WireError {
  code: string;
  status: number | undefined;
  message: string;
}

export async function errorOf(promise: Promise<unknown>): Promise<WireError> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      Code?: string;
      name: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
      /** The Query SDK keeps the parsed <Error> element here; modelled exceptions lose its Message otherwise. */
      Error?: { Code?: string; Message?: string };
    };
    return {
      code: e.Code ?? e.Error?.Code ?? e.name,
      status: e.$metadata?.httpStatusCode,
      message: e.Error?.Message ?? e.message,
    };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

let counter = 0;
/** A queue name no other test uses. */
export const uniqueName = (prefix = 'q'): string => `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
