import { performance } from 'node:perf_hooks';
import type { Clock } from '../../shared/clock.js';
import { newUuid } from '../../shared/ids.js';
import type { MoveTaskRecord, SqsStore } from '../../storage/ports.js';
import { sqsErrors } from './errors.js';
import { sqsLimits } from './limits.js';
import type { Queue, QueueDirectory } from './queues.js';
import type { MoveTaskView } from './types.js';
import type { Waiters } from './waiters.js';

const TICK_MS = 100;
/** How often an idle node looks for running tasks without a driver. */
const SCOUT_MS = 2000;
/** How long a task's lease outlives its last renewal (renewed every tick). */
const LEASE_MS = 3000;
/** Messages moved per second when the task sets no rate. */
const DEFAULT_RATE = 1000;

/**
 * Message move tasks (dead-letter queue redrive): move a DLQ's messages back to the queues they
 * came from, or to a chosen destination, at a bounded rate. Progress is stored, so a restart
 * resumes running tasks.
 */
export class MoveTasks {
  private timer: NodeJS.Timeout | undefined;
  private lastTick = new Map<string, number>();
  /** Messages each running task may still move: accrues at its rate, at most one second's worth. */
  private credit = new Map<string, number>();
  /** Tasks cancelled while a pass over them may be under way: that pass must not finish them. */
  private cancelled = new Set<string>();
  private running = false;
  /** Looks now and then for running tasks nobody drives (started elsewhere, or their node died). */
  private scout: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: SqsStore,
    private readonly clock: Clock,
    private readonly queues: QueueDirectory,
    private readonly waiters: Waiters,
    private readonly nodeId: () => string,
  ) {}

  start(): void {
    if (this.stopped) return;
    this.timer ??= setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    this.scout ??= setInterval(() => void this.lookForTasks(), SCOUT_MS);
    this.scout.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.scout) clearInterval(this.scout);
    this.timer = undefined;
    this.scout = undefined;
  }

  private pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async lookForTasks(): Promise<void> {
    if (this.timer) return;
    const tasks = await this.store.listMoveTasks().catch(() => []);
    if (tasks.some((t) => t.status === 'RUNNING')) this.start();
  }

  async startTask(sourceArn: string, destinationArn: string | undefined, rate: number | undefined): Promise<string> {
    if (typeof sourceArn !== 'string' || sourceArn === '') throw sqsErrors.missingParameter('SourceArn');
    const source = this.queues.byArn(sourceArn);
    if (!source) throw sqsErrors.resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    if (this.queues.deadLetterSources(source).length === 0) {
      throw sqsErrors.invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    }
    if (destinationArn !== undefined) {
      const destination = this.queues.byArn(destinationArn);
      if (!destination) {
        throw sqsErrors.resourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.");
      }
      if (destination.record.id === source.record.id) {
        throw sqsErrors.invalidParameterValue('Source queue and destination queue must be different.');
      }
    }
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > sqsLimits.moveTaskMaxMessagesPerSecond)) {
      throw sqsErrors.invalidValue(rate, 'MaxNumberOfMessagesPerSecond', 'Must be between 1 and 500, if provided.');
    }
    const tasks = await this.store.listMoveTasks(source.record.id);
    if (tasks.some((t) => t.status === 'RUNNING' || t.status === 'CANCELLING')) {
      throw sqsErrors.invalidParameterValue(
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    const now = this.clock.now();
    const counts = await this.store.countMessages(source.record.id, now);
    const handle = Buffer.from(JSON.stringify({ taskId: newUuid(), sourceArn })).toString('base64');
    await this.store.createMoveTask({
      handle,
      sourceQueueId: source.record.id,
      sourceArn,
      destinationArn: destinationArn ?? null,
      maxMessagesPerSecond: rate ?? null,
      status: 'RUNNING',
      moved: 0,
      toMove: counts.visible,
      failureReason: null,
      startedAt: now,
      updatedAt: now,
    });
    this.start();
    return handle;
  }

  /** The source queue a task handle names, if the handle is well formed and the queue exists. */
  sourceOf(handle: string): Queue | undefined {
    try {
      const decoded = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as { sourceArn?: unknown };
      return typeof decoded.sourceArn === 'string' ? this.queues.byArn(decoded.sourceArn) : undefined;
    } catch {
      return undefined;
    }
  }

  async cancel(handle: string): Promise<number> {
    if (typeof handle !== 'string' || handle === '') throw sqsErrors.missingParameter('TaskHandle');
    if (!isTaskHandle(handle)) throw sqsErrors.invalidParameterValue('Value for parameter TaskHandle is invalid.');
    const task = await this.store.getMoveTask(handle);
    if (!task) throw sqsErrors.resourceNotFound('Task does not exist.');
    if (task.status !== 'RUNNING') throw sqsErrors.invalidParameterValue('Only active tasks can be cancelled.');
    this.cancelled.add(handle);
    await this.store.updateMoveTask(handle, { status: 'CANCELLED', updatedAt: this.clock.now() });
    this.lastTick.delete(handle);
    this.credit.delete(handle);
    return task.moved;
  }

  async list(sourceArn: string, maxResults: number | undefined): Promise<MoveTaskView[]> {
    if (typeof sourceArn !== 'string' || sourceArn === '') throw sqsErrors.missingParameter('SourceArn');
    if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/.test(sourceArn)) {
      throw sqsErrors.invalidParameterValue(
        'You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>',
      );
    }
    const max = maxResults ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw sqsErrors.invalidValue(max, 'MaxResults', 'Must be between 1 and 10, if provided.');
    }
    const source = this.queues.byArn(sourceArn);
    if (!source) throw sqsErrors.resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    const tasks = await this.store.listMoveTasks(source.record.id);
    return tasks.slice(0, max).map(view);
  }

  /** One pass over running tasks: move what each task's rate allows since its last pass. */
  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const tasks = (await this.store.listMoveTasks()).filter((t) => t.status === 'RUNNING');
      if (tasks.length === 0) this.pause();
      for (const task of tasks) {
        // One node drives a task at a time; if it dies, its lease runs out and another takes over.
        const leased = await this.store.tryLease(`move-task:${task.handle}`, this.nodeId(), this.clock.now(), LEASE_MS);
        if (leased) await this.advance(task);
      }
    } catch {
      // A storage hiccup: the next tick tries again.
    } finally {
      this.running = false;
    }
  }

  private async advance(task: MoveTaskRecord): Promise<void> {
    if (this.cancelled.has(task.handle)) return;
    const nowMs = performance.now();
    const last = this.lastTick.get(task.handle);
    this.lastTick.set(task.handle, nowMs);
    const rate = task.maxMessagesPerSecond ?? DEFAULT_RATE;
    // The first pass may move one message at once; after that the task earns `rate` per second.
    const earned = last === undefined ? Math.max(1, (rate * TICK_MS) / 1000) : (rate * (nowMs - last)) / 1000;
    const credit = Math.min(rate, (this.credit.get(task.handle) ?? 0) + earned);
    const allowance = Math.floor(credit);
    this.credit.set(task.handle, credit - allowance);
    if (allowance === 0) return;
    const source = this.queues.byStorageId(task.sourceQueueId);
    const now = this.clock.now();
    if (!source) return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
    const destination = this.destinationOf(task);
    if (!destination) return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
    const result = await this.store.moveMessages({
      sourceQueueId: source.record.id,
      destination,
      limit: allowance,
      now,
      expiredAtOrBefore: now - source.settings.messageRetentionSeconds * 1000,
    });
    for (const id of result.destinationQueueIds) this.waiters.announce(id);
    const moved = task.moved + result.moved;
    if (result.unknownSources.length > 0 && result.moved === 0) {
      return this.finish({ ...task, moved }, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
    }
    const done = moved >= task.toMove || result.moved < allowance;
    if (done) return this.finish({ ...task, moved }, 'COMPLETED', null);
    await this.store.updateMoveTask(task.handle, { moved, updatedAt: now });
  }

  private destinationOf(
    task: MoveTaskRecord,
  ): { queueId: number } | { byDeadLetterSource: (arn: string) => number | undefined } | undefined {
    if (task.destinationArn) {
      const destination = this.queues.byArn(task.destinationArn);
      return destination && { queueId: destination.record.id };
    }
    // Each message goes home to the queue it was dead-lettered from, wherever that queue's
    // redrive policy points now.
    return { byDeadLetterSource: (arn) => this.queues.byArn(arn)?.record.id };
  }

  private async finish(task: MoveTaskRecord, status: 'COMPLETED' | 'FAILED', reason: string | null): Promise<void> {
    this.lastTick.delete(task.handle);
    this.credit.delete(task.handle);
    // Cancelled meanwhile, here or through another node: keep CANCELLED, record what this pass moved.
    const stored = await this.store.getMoveTask(task.handle);
    if (this.cancelled.has(task.handle) || (stored && stored.status !== 'RUNNING')) {
      await this.store.updateMoveTask(task.handle, { moved: task.moved, updatedAt: this.clock.now() });
      return;
    }
    await this.store.updateMoveTask(task.handle, {
      status,
      moved: task.moved,
      failureReason: reason,
      updatedAt: this.clock.now(),
    });
  }
}

function isTaskHandle(handle: string): boolean {
  try {
    const decoded = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as { taskId?: unknown };
    return typeof decoded.taskId === 'string';
  } catch {
    return false;
  }
}

function view(task: MoveTaskRecord): MoveTaskView {
  const out: MoveTaskView = {
    status: task.status,
    sourceArn: task.sourceArn,
    approximateNumberOfMessagesMoved: task.moved,
    approximateNumberOfMessagesToMove: task.toMove,
    startedTimestamp: task.startedAt,
  };
  if (task.status === 'RUNNING') out.taskHandle = task.handle;
  if (task.destinationArn) out.destinationArn = task.destinationArn;
  if (task.maxMessagesPerSecond !== null) out.maxNumberOfMessagesPerSecond = task.maxMessagesPerSecond;
  if (task.failureReason) out.failureReason = task.failureReason;
  return out;
}
