/**
 * sealq as a real child process: the built CLI (`node dist/cli/main.js serve`, as `npm start` runs
 * it), started on a free port and killed at will. Used by the suites that kill servers
 * (test/durability) or run several of them on one database (test/cluster).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Sqs from '@aws-sdk/client-sqs';
import * as Kms from '@aws-sdk/client-kms';
import pg from 'pg';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cli = join(repoRoot, 'dist', 'cli', 'main.js');
export const ACCOUNT = '000000000000';
export const processCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
/** The test database; override with SEALQ_TEST_POSTGRES_URL. */
export const postgresUrl = process.env.SEALQ_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every server process started through this module and still running, so none outlives its test file. */
const running = new Set<ChildProcess>();

/** `npm test` builds first; a bare `vitest run` on a fresh checkout may not have. */
export function ensureBuilt(): void {
  if (existsSync(cli)) return;
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

/** SIGKILLs every server process this module started that is still running, and waits for each to exit. */
export async function killStartedProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }),
  );
}

export interface SealqProcessOptions {
  dataDir: string;
  /** Extra `serve` flags (storage, log level, …). */
  args?: string[];
  /**
   * Extra environment. The child gets the parent's environment minus every SEALQ_* variable,
   * plus the root credentials, plus this.
   */
  env?: Record<string, string>;
  /** Defaults to `processCredentials`. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  readyTimeoutMs?: number;
}

/** One run of `sealq serve`. */
export class SealqProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    private readonly credentials: { accessKeyId: string; secretAccessKey: string },
    private readonly stderr: () => string,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Starts the server and resolves once it logged "ready" (with its URL). */
  static async start(options: SealqProcessOptions): Promise<SealqProcess> {
    const credentials = options.credentials ?? processCredentials;
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SEALQ_'))),
      SEALQ_ROOT_ACCESS_KEY_ID: credentials.accessKeyId,
      SEALQ_ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...options.env,
    };
    const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
    const child = spawn(
      process.execPath,
      [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', options.dataDir, ...(options.args ?? [])],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => fail(new Error(`the server did not log "ready" within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${error.message}\nstdout: ${buffered}\nstderr: ${stderr}`));
      };
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        for (const line of buffered.split('\n').slice(0, -1)) {
          let entry: { msg?: string; url?: string };
          try {
            entry = JSON.parse(line) as { msg?: string; url?: string };
          } catch {
            continue;
          }
          if (entry.msg === 'ready' && entry.url) {
            clearTimeout(timer);
            child.off('exit', onEarlyExit);
            child.stdout!.off('data', onData);
            child.stdout!.resume(); // keep draining whatever it logs later
            resolve(entry.url);
            return;
          }
        }
      };
      child.stdout!.on('data', onData);
      const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(new Error(`the server exited before it was ready (code ${code}, signal ${signal})`));
      child.once('exit', onEarlyExit);
    });
    return new SealqProcess(child, url, credentials, () => stderr);
  }

  /** What the server wrote to stderr so far. */
  get errorOutput(): string {
    return this.stderr();
  }

  /** An SQS client for this server that does not retry (a dead server fails the call at once). */
  client(): Sqs.SQSClient {
    return new Sqs.SQSClient({ endpoint: this.url, region: 'us-east-1', credentials: this.credentials, maxAttempts: 1 });
  }

  /** A KMS client for this server, as `client()` is for SQS. */
  kmsClient(): Kms.KMSClient {
    return new Kms.KMSClient({ endpoint: this.url, region: 'us-east-1', credentials: this.credentials, maxAttempts: 1 });
  }

  /** Queue URLs carry the listening address, which changes with every run (port 0). */
  queueUrl(name: string): string {
    return `${this.url}/${ACCOUNT}/${name}`;
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    const result = await Promise.race([this.exited, sleep(10_000).then(() => undefined)]);
    if (!result) {
      this.child.kill('SIGKILL');
      throw new Error(`the server did not exit after ${signal}\nstderr: ${this.stderr()}`);
    }
    return result;
  }
}

/** True when the PostgreSQL test database answers within a couple of seconds. */
export async function postgresReachable(connectionString = postgresUrl): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function dropSchemas(schemas: Iterable<string>, connectionString = postgresUrl): Promise<void> {
  const list = [...schemas];
  if (list.length === 0) return;
  const db = new pg.Client({ connectionString });
  await db.connect();
  try {
    for (const schema of list) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await db.end();
  }
}
