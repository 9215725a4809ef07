import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as JsonSqs from '@aws-sdk/client-sqs';
import * as QuerySqs from '@aws-sdk/client-sqs-query';
import pg from 'pg';
import { loadConfig, startSealq, type Sealq, type SealqOptions } from '../../src/index.js';
import { signRequest } from '../../src/auth/sign.js';


/**
 * Which engine the end-to-end suites run on: SQLite by default; with SEALQ_TEST_STORAGE=postgres,
 * PostgreSQL (SEALQ_TEST_POSTGRES_URL, default the local `test` database) in a schema of its own per
 * data directory, so a restart on the same directory finds the same tables.
 */
export const testPostgresUrl = process.env.SEALQ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const onPostgres = process.env.SEALQ_TEST_STORAGE === 'postgres';

const schemaFor = (dataDir: string) => `sealq_e2e_${createHash('sha256').update(dataDir).digest('hex').slice(0, 24)}`;

export interface TestServer {
  sealq: Sealq;
  url: string;
  dataDir: string;
  /** Set when the server stores its state in PostgreSQL. */
  postgres: { url: string; schema: string } | undefined;
  stop(): Promise<void>;
}

/** A sealq server on a free port with its own data directory (and, on PostgreSQL, its own schema). */
export async function startTestServer(
  overrides: Record<string, unknown> = {},
  options: SealqOptions = {},
): Promise<TestServer> {
  const ownDir = overrides['data-dir'] === undefined;
  const dataDir = ownDir ? mkdtempSync(join(tmpdir(), 'sealq-test-')) : String(overrides['data-dir']);
  const postgres = onPostgres ? { url: testPostgresUrl, schema: schemaFor(dataDir) } : undefined;
  const storage = postgres ? { storage: postgres.url, 'storage-schema': postgres.schema, 'storage-pool-size': '4' } : {};
  const config = loadConfig({
    flags: {
      port: '0',
      'data-dir': dataDir,
      'log-level': 'silent',
      'root-access-key-id': testCredentials.accessKeyId,
      'root-secret-access-key': testCredentials.secretAccessKey,
      ...storage,
      ...overrides,
    },
  });
  let sealq: Sealq;
  try {
    sealq = await startSealq(config, options);
  } catch (error) {
    if (ownDir) {
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestSchema(dataDir);
    }
    throw error;
  }
  return {
    sealq,
    url: sealq.url,
    dataDir,
    postgres,
    async stop() {
      await sealq.close();
      // A directory the test passed in is the test's to remove (it may start on it again).
      if (!ownDir) return;
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestSchema(dataDir);
    },
  };
}

/** Drops the PostgreSQL schema of a data directory's servers (nothing on SQLite). */
export async function dropTestSchema(dataDir: string): Promise<void> {
  if (!onPostgres) return;
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schemaFor(dataDir)}" CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * Everything the server has stored, as bytes: each file of the data directory and, on PostgreSQL,
 * every table of its schema (each value as stored: bytea raw, everything else as text).
 */
export async function storedContents(server: Pick<TestServer, 'dataDir' | 'postgres'>): Promise<Map<string, Buffer>> {
  const stored = new Map<string, Buffer>();
  for (const entry of readdirSync(server.dataDir, { recursive: true, encoding: 'utf8' })) {
    const path = join(server.dataDir, entry);
    if (statSync(path).isFile()) stored.set(entry, readFileSync(path));
  }
  if (!server.postgres) return stored;
  const client = new pg.Client({ connectionString: server.postgres.url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1', [
      server.postgres.schema,
    ]);
    for (const { name } of tables.rows) {
      const rows = await client.query<Record<string, unknown>>(`SELECT * FROM "${server.postgres.schema}"."${name}"`);
      const parts = rows.rows.flatMap((row) =>
        Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v) ?? '', 'utf8'))),
      );
      stored.set(`table:${name}`, Buffer.concat(parts));
    }
  } finally {
    await client.end();
  }
  return stored;
}

/** What the server stored while running, then after it closed (for at-rest searches). */
export async function storedRunningAndClosed(server: TestServer): Promise<{ whileRunning: Map<string, Buffer>; afterClose: Map<string, Buffer> }> {
  const whileRunning = await storedContents(server);
  await server.sealq.close();
  return { whileRunning, afterClose: await storedContents(server) };
}

/** Removes a closed server's data directory and, on PostgreSQL, its schema. */
export async function discardClosedServer(server: Pick<TestServer, 'dataDir'>): Promise<void> {
  rmSync(server.dataDir, { recursive: true, force: true });
  await dropTestSchema(server.dataDir);
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

/**
 * Receives (and deletes) messages until `count` arrived or about `ms` passed. With `count` 0 it
 * waits the whole time, to show that nothing arrives.
 */
export async function poll(c: { sqs: JsonSqs.SQSClient }, queueUrl: string, count = 1, ms = 5000): Promise<JsonSqs.Message[]> {
  const got: JsonSqs.Message[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end && (count === 0 || got.length < count)) {
    const { Messages } = await c.sqs.send(
      new JsonSqs.ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 1,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    for (const m of Messages ?? []) {
      got.push(m);
      await c.sqs.send(new JsonSqs.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

/** POST to one of sealq's own endpoints (`/_sealq/...`), signed as `credentials` (the root by default). */
export async function adminPost(
  serverUrl: string,
  path: string,
  payload: unknown,
  credentials: { accessKeyId: string; secretAccessKey: string } = testCredentials,
): Promise<{ status: number; text: string }> {
  const url = new URL(path, serverUrl);
  const body = JSON.stringify(payload);
  const headers = signRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    body,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    region: 'us-east-1',
    service: 'sqs',
    now: Date.now(),
  });
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}
