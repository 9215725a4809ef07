import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { Config } from './config/config.js';
import type { CallerContext } from './http/pipeline.js';
import { createHttpFront, listen } from './http/server.js';
import { iamModel } from './protocol/iam/iam-model.js';
import { QueryService } from './protocol/query-service.js';
import { JsonService } from './protocol/json-service.js';
import { kmsModel } from './protocol/kms/kms-model.js';
import { implementedKmsActions } from './services/kms/kms-service.js';
import { snsModel } from './protocol/sns/sns-model.js';
import { SnsService, implementedSnsActions, type SnsContext } from './services/sns/sns-service.js';
import { SnsSigner } from './services/sns/signing.js';
import { eventsModel } from './protocol/events/events-model.js';
import { EventsService, implementedEventsActions } from './services/events/events-service.js';
import { stsModel } from './protocol/sts/sts-model.js';
import { authorizeIam } from './services/iam/iam-access.js';
import { implementedIamActions } from './services/iam/iam-service.js';
import { startIdentity, type Identity } from './services/identity.js';
import { SqsService } from './services/sqs/sqs-service.js';
import { systemClock, type Clock } from './shared/clock.js';
import type { ClusterBus, IdentityStore, SqsStore } from './storage/ports.js';
import { followCluster, joinSqsToCluster } from './services/cluster-sync.js';
import { PgStore } from './storage/postgres/pg-store.js';
import { SqliteStore } from './storage/sqlite/sqlite-store.js';
import { Metrics, registerSseCaches, registerStorageRoundTrips } from './observability/metrics.js';
import { applyResourceBootstrap } from './services/resource-bootstrap.js';
import { join } from 'node:path';
import { S3Service } from './services/s3/s3-service.js';
import { ObjectFiles } from './services/s3/object-files.js';
import { ChunkedObjectData } from './services/s3/chunked-object-data.js';
import { ownedFileKeys } from './services/s3/sealed-file.js';

export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface Sealq {
  /** Where the server listens, e.g. http://127.0.0.1:9324. */
  url: string;
  sqs: SqsService;
  identity: Identity;
  store: SqsStore;
  /** The SNS service itself (its `deliveries` record each delivery's outcome). */
  snsCore: SnsService;
  /** The EventBridge service itself (its `deliveries` likewise). */
  eventsCore: EventsService;
  /** The S3 service itself (its `deliveries` record each notification's outcome). */
  s3Core: S3Service;
  close(): Promise<void>;
}

export interface SealqOptions {
  clock?: Clock;
  logger?: Logger;
}

interface Services {
  events: JsonService<CallerContext>;
  eventsCore: EventsService;
  s3: S3Service;
  sns: QueryService<SnsContext>;
  snsCore: SnsService;
  sqs: SqsService;
  identity: Identity;
  iam: QueryService<CallerContext>;
  sts: QueryService<CallerContext>;
  kms: JsonService<CallerContext>;
}

/** What the server needs of a storage engine: the SQS tables and the identity documents. */
type ServerStore = SqsStore & { identity(): IdentityStore };

/** SQLite in the data directory, or a PostgreSQL database that several nodes may share. */
async function openStore(config: Config): Promise<ServerStore> {
  if (config.storage === 'sqlite') return new SqliteStore({ dataDir: config.dataDir, durability: config.durability });
  return PgStore.open({ connectionString: config.storage, schema: config.storageSchema, poolSize: config.storagePoolSize });
}

/**
 * An event-source delivery's outcome: counted, and a failure logged with its exact error code
 * (e.g. KMS.AccessDeniedException) and where it was going. Never the message itself.
 */
function reportDelivery(
  metrics: Metrics,
  logger: Logger,
  source: 'sns' | 'events' | 's3',
  record: { outcome: string; errorCode?: string; time: number },
): void {
  metrics.delivery(source, record.outcome, record.errorCode);
  if (record.outcome !== 'delivered') logger.warn({ source, ...record }, 'event delivery failed');
}

/** Several nodes may share a PostgreSQL database: they follow one another through its change feed. */
async function openClusterBus(store: ServerStore): Promise<ClusterBus | undefined> {
  if (!(store instanceof PgStore)) return undefined;
  return store.openClusterBus(`${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`);
}

async function startServices(
  config: Config,
  store: ServerStore,
  clock: Clock,
  metrics: Metrics,
  bus: ClusterBus | undefined,
  logger: Logger,
): Promise<Services> {
  const identity = await startIdentity(config, store.identity(), clock);
  identity.kmsAudit.onWriteError = (error) => logger.warn({ err: error }, 'KMS audit records could not be written yet; trying again');
  const kmsAudit = identity.kms.onCall;
  identity.kms.onCall = (record) => {
    kmsAudit(record);
    metrics.kmsCall(record.operation, record.keyArn, record.principal, record.errorCode);
  };
  const sqs = new SqsService(store, clock, config.region, identity.authorizer, identity.kms, metrics);
  if (bus) joinSqsToCluster(sqs, bus);
  await sqs.start();
  const iam = new QueryService<CallerContext>(iamModel, identity.iam, implementedIamActions, (ctx, action, input) =>
    authorizeIam(identity.authorizer, ctx, action, input, identity.directory),
  );
  const sts = new QueryService<CallerContext>(stsModel, identity.sts, new Set(['GetCallerIdentity', 'AssumeRole']));
  const kms = new JsonService<CallerContext>(kmsModel, identity.kms, implementedKmsActions);
  const snsCore = new SnsService(
    store.identity(),
    () => sqs,
    identity.authorizer,
    () => SnsSigner.load(store.identity(), identity.rootKey.key),
    clock,
    config.region,
  );
  await snsCore.load();
  snsCore.onDelivery = (record) => reportDelivery(metrics, logger, 'sns', record);
  snsCore.kms = identity.kms;
  const sns = new QueryService<SnsContext>(snsModel, snsCore, implementedSnsActions);
  const eventsCore = new EventsService(store.identity(), () => sqs, identity.authorizer, clock, config.region);
  eventsCore.lease = (name, ttlMs) => store.tryLease(name, sqs.nodeId, clock.now(), ttlMs);
  await eventsCore.load();
  eventsCore.onDelivery = (record) => reportDelivery(metrics, logger, 'events', record);
  const events = new JsonService<CallerContext>(eventsModel, eventsCore, implementedEventsActions);
  // Object data goes where the metadata goes: files in the data directory with SQLite, the
  // shared database with PostgreSQL (so every node serves every object).
  const fileKeys = ownedFileKeys(identity.kms);
  const objectData =
    store instanceof PgStore ? new ChunkedObjectData(store.chunks(), fileKeys, clock) : new ObjectFiles(join(config.dataDir, 's3'), fileKeys);
  const s3 = new S3Service(store.identity(), objectData, () => sqs, identity.authorizer, clock);
  await s3.load();
  s3.onDelivery = (record) => reportDelivery(metrics, logger, 's3', record);
  await applyResourceBootstrap(config.accounts, { sqs, kms: identity.kms, sns: snsCore, events: eventsCore, s3, region: config.region });
  return { sqs, identity, iam, sts, kms, sns, snsCore, events, eventsCore, s3 };
}

/** The composition root: config → storage → services → HTTP server, listening. */
export async function startSealq(config: Config, options: SealqOptions = {}): Promise<Sealq> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: undefined });
  const clock = options.clock ?? systemClock;
  const store = await openStore(config);
  let services: Services;
  // Queue depths are read at scrape time, for every queue.
  const metrics = new Metrics(async () =>
    Promise.all(
      services.sqs.queues.all().map(async (q) => ({ queue: q.record.name, ...(await store.countMessages(q.record.id, clock.now())) })),
    ),
  );
  if (store instanceof PgStore) registerStorageRoundTrips(metrics, () => store.roundTrips);
  registerSseCaches(metrics, () => services.sqs.messages.sseCacheSizes());

  let bus: ClusterBus | undefined;
  try {
    bus = await openClusterBus(store);
    services = await startServices(config, store, clock, metrics, bus, logger);
    if (bus) {
      followCluster(
        bus,
        {
          sqs: () => services.sqs,
          entityCaches: () => [services.identity.directory, services.identity.keys, services.snsCore, services.eventsCore, services.s3],
          identityStore: store.identity(),
          reloadAll: async () => {
            await services.identity.reload();
            await services.sqs.reloadQueues();
            await services.snsCore.load();
            await services.eventsCore.reload();
            await services.s3.load();
          },
        },
        (error) => logger.error({ err: error }, 'cluster feed: could not apply a change from another node'),
      );
    }
  } catch (error) {
    // A bad bootstrap file must not leave the database open behind it.
    await store.close();
    throw error;
  }
  if (services.identity.rootKey.generated) {
    logger.warn({ dataDir: config.dataDir }, 'generated a KMS root key in the data directory (root.key, mode 0600); back it up');
  }
  if (services.identity.root.generated) {
    // Printed once, when they are made; afterwards they are in the data directory's key file.
    process.stdout.write(
      JSON.stringify({
        level: 30,
        time: clock.now(),
        msg: 'generated root credentials for the default account (stored in the data directory, mode 0600)',
        accountId: config.accountId,
        accessKeyId: services.identity.root.accessKeyId,
        secretAccessKey: services.identity.root.secretAccessKey,
      }) + '\n',
    );
  }

  const deps = {
    config,
    logger,
    clock,
    version,
    get sqs() {
      return services.sqs;
    },
    get identity() {
      return services.identity;
    },
    get iam() {
      return services.iam;
    },
    get sts() {
      return services.sts;
    },
    get kms() {
      return services.kms;
    },
    get sns() {
      return services.sns;
    },
    get snsCore() {
      return services.snsCore;
    },
    get events() {
      return services.events;
    },
    get s3() {
      return services.s3;
    },
    metrics,
    deliveryLogs: () => ({
      sns: services.snsCore.deliveries,
      events: services.eventsCore.deliveries,
      s3: services.s3.deliveries,
      bucketAccount: (bucket: string) => services.s3.bucketAccount(bucket),
    }),
    snsCertificate: () => services.snsCore.certificate(),
    reset: async () => {
      services.sqs.stop();
      services.eventsCore.stop();
      await services.identity.kmsAudit.close();
      await services.s3.wipe();
      await store.reset();
      services = await startServices(config, store, clock, metrics, bus, logger);
    },
  };
  const server = createHttpFront(deps);
  const url = await listen(server, config.host, config.port, config.tlsCert ? 'https' : 'http');

  let closing: Promise<void> | undefined;
  return {
    url,
    get sqs() {
      return services.sqs;
    },
    get identity() {
      return services.identity;
    },
    get snsCore() {
      return services.snsCore;
    },
    get eventsCore() {
      return services.eventsCore;
    },
    get s3Core() {
      return services.s3;
    },
    store,
    close() {
      closing ??= (async () => {
        services.sqs.stop();
        services.eventsCore.stop();
        await new Promise<void>((resolve) => {
          // A connection whose response its client has read (a streamed GetObject, say) turns idle
          // only after close() began: keep closing idle ones until the server has stopped.
          const sweeper = setInterval(() => server.closeIdleConnections(), 50);
          server.close(() => {
            clearInterval(sweeper);
            resolve();
          });
          server.closeIdleConnections();
        });
        await services.identity.kmsAudit.close();
        await store.close();
      })();
      return closing;
    },
  };
}
