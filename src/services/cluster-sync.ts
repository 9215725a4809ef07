import type { ClusterBus, ClusterEvent, IdentityEntity, IdentityStore } from '../storage/ports.js';
import type { SqsService } from './sqs/sqs-service.js';

/** An in-memory view of identity documents that follows changes made by other nodes. */
export interface EntityCache {
  absorb(entity: IdentityEntity): void;
  forget(kind: string, id: string): void;
}

/** The node's in-memory state the feed keeps current; read afresh for each event (a reset replaces it). */
export interface ClusterMembers {
  sqs(): SqsService;
  entityCaches(): EntityCache[];
  identityStore: IdentityStore;
  /** Re-reads everything, after the feed was interrupted. */
  reloadAll(): Promise<void>;
}

/**
 * Keeps this node's caches in step with the other nodes on the same database. Queue records and
 * identity documents are re-read when another node announces a change; "messages" events wake
 * this node's long polls. Re-reads run one at a time, in arrival order, so two quick changes to
 * one document cannot land out of order.
 */
export function followCluster(bus: ClusterBus, members: ClusterMembers, onError: (error: unknown) => void): void {
  let chain: Promise<void> = Promise.resolve();
  const serially = (work: () => Promise<void>) => {
    chain = chain.then(work).catch(onError);
  };
  bus.subscribe({
    event: (event: ClusterEvent) => {
      switch (event.type) {
        case 'messages':
          members.sqs().messages.waiters.notify(event.queueId);
          return;
        case 'queue':
          serially(() => members.sqs().refreshQueue(event.queueId));
          return;
        case 'entity':
          serially(async () => {
            const entity = await members.identityStore.getEntity(event.kind, event.id);
            for (const cache of members.entityCaches()) {
              if (entity) cache.absorb(entity);
              else cache.forget(event.kind, event.id);
            }
          });
          return;
      }
    },
    resync: () => serially(() => members.reloadAll()),
  });
}

/** Points a (new) SQS service at the cluster: its lease holder id, and its wake-ups go to every node. */
export function joinSqsToCluster(sqs: SqsService, bus: ClusterBus): void {
  sqs.nodeId = bus.nodeId;
  // Wake-ups only matter to receivers on other nodes: a lone node sends none.
  sqs.messages.waiters.broadcast = (queueId) => {
    if (bus.hasPeers) bus.publish({ type: 'messages', queueId });
  };
}
