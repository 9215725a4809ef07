import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { Config } from './config/config.js';
import { createHttpFront, listen } from './http/server.js';
import { SqsService } from './services/sqs/sqs-service.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { SqsStore } from './storage/ports.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';

export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface Sealq {
  /** Where the server listens, e.g. http://127.0.0.1:9324. */
  url: string;
  sqs: SqsService;
  store: SqsStore;
  close(): Promise<void>;
}

export interface SealqOptions {
  clock?: Clock;
  logger?: Logger;
  /** Use this store instead of opening SQLite in config.dataDir. */
  store?: SqsStore;
}

/** The composition root: config → storage → services → HTTP server, listening. */
export async function startSealq(config: Config, options: SealqOptions = {}): Promise<Sealq> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: undefined });
  const clock = options.clock ?? systemClock;
  const store = options.store ?? new SqliteStore({ dataDir: config.dataDir, durability: config.durability });
  let sqs = new SqsService(store, clock, config.region);
  await sqs.start();

  const deps = {
    config,
    logger,
    version,
    get sqs() {
      return sqs;
    },
    reset: async () => {
      sqs.stop();
      await store.reset();
      sqs = new SqsService(store, clock, config.region);
      await sqs.start();
    },
  };
  const server = createHttpFront(deps);
  const url = await listen(server, config.host, config.port);

  let closing: Promise<void> | undefined;
  return {
    url,
    get sqs() {
      return sqs;
    },
    store,
    close() {
      closing ??= (async () => {
        sqs.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await store.close();
      })();
      return closing;
    },
  };
}
