import { randomUUID } from 'node:crypto';
import { parseArn } from '../../shared/arn.js';
import { AwsError, type AwsErrorSpec } from '../../shared/aws-error.js';
import type { Clock } from '../../shared/clock.js';
import type { IdentityEntity, IdentityStore } from '../../storage/ports.js';
import { changeStoredDocument } from '../stored-documents.js';
import type { Authorizer } from '../authz/authorizer.js';
import { servicePrincipal, type Principal } from '../iam/entities.js';
import type { SqsService } from '../sqs/sqs-service.js';
import { EventPatternError, matchesEventPattern, parseEventPattern } from './event-pattern.js';
import { applyInput, type TargetInput } from './target-input.js';

const spec = (code: string, status = 400): AwsErrorSpec => Object.freeze({ shape: code, queryCode: code, status, fault: 'Sender' });
const eventsError = {
  notFound: (m: string) => new AwsError(spec('ResourceNotFoundException'), m),
  validation: (m: string) => new AwsError(spec('ValidationException'), m),
  invalidPattern: (m: string) => new AwsError(spec('InvalidEventPatternException'), m),
  alreadyExists: (m: string) => new AwsError(spec('ResourceAlreadyExistsException'), m),
  accessDenied: (m: string) => new AwsError(spec('AccessDeniedException'), m),
};

interface Bus {
  name: string;
  arn: string;
  accountId: string;
  createdAt: number;
}

interface Target extends TargetInput {
  id: string;
  arn: string;
  sqsParameters?: { messageGroupId?: string };
  deadLetterConfig?: { arn?: string };
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
}

interface Rule {
  name: string;
  arn: string;
  accountId: string;
  eventBusName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: Target[];
  nextRunAt?: number;
}

export interface EventsContext {
  principal: Principal;
  secure: boolean;
  sourceIp?: string;
}

/** One delivery attempt's outcome: what the console and tests read. */
export interface EventDeliveryRecord {
  time: number;
  ruleArn: string;
  targetArn: string;
  outcome: 'delivered' | 'failed' | 'dead-lettered';
  errorCode?: string;
}

const DEFAULT_RETRY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };

/** How long the scheduler lease outlives its holder; renewed every second while it runs. */
const SCHEDULER_LEASE_MS = 5000;

/**
 * EventBridge with SQS targets. Matching events are delivered through `SqsService.deliver` as
 * `events.amazonaws.com` with aws:SourceArn = the rule's ARN. Permission failures skip retries and
 * go straight to the target's dead-letter queue; other failures follow its RetryPolicy.
 */
export class EventsService {
  private readonly buses = new Map<string, Bus>();
  private readonly rules = new Map<string, Rule>();
  readonly deliveries: EventDeliveryRecord[] = [];
  onDelivery: (record: EventDeliveryRecord) => void = () => undefined;
  private scheduler: NodeJS.Timeout | undefined;
  /**
   * Claims the right to fire schedules for a while. Nodes sharing a database each run this
   * service; only the lease holder fires, so a rule fires once per period, not once per node.
   */
  lease: (name: string, ttlMs: number) => Promise<boolean> = async () => true;

  constructor(
    private readonly store: IdentityStore,
    private readonly sqs: () => SqsService,
    private readonly authorizer: Authorizer,
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  async load(): Promise<void> {
    await this.reload();
    this.scheduler ??= setInterval(() => void this.runSchedulesUnderLease(), 1000);
    this.scheduler.unref();
  }

  /** Re-reads every bus and rule (after the cluster feed was interrupted). */
  async reload(): Promise<void> {
    this.buses.clear();
    this.rules.clear();
    for (const e of await this.store.listEntities()) this.absorb(e);
  }

  /** Takes in one stored entity (at load, or when another node changed it); ignores other kinds. */
  absorb(e: IdentityEntity): void {
    if (e.kind === 'events-bus') this.buses.set(e.id, e.value as Bus);
    if (e.kind === 'events-rule') this.rules.set(e.id, e.value as Rule);
  }

  /** Drops an entity another node deleted. */
  forget(kind: string, id: string): void {
    if (kind === 'events-bus') this.buses.delete(id);
    if (kind === 'events-rule') this.rules.delete(id);
  }

  stop(): void {
    clearInterval(this.scheduler);
  }

  /** Changes part of a rule, here and in the store (a stale node cannot restore a removed target). */
  private updateRule(rule: Rule, change: (r: Rule) => void): Promise<void> {
    const doc = { kind: 'events-rule', id: rule.arn, current: rule, absorb: (e: IdentityEntity) => this.absorb(e), saveWhole: () => this.saveRule(rule) };
    return changeStoredDocument(this.store, doc, change);
  }

  private saveRule(r: Rule) {
    this.rules.set(r.arn, r);
    return this.store.putEntity({ kind: 'events-rule', id: r.arn, accountId: r.accountId, value: r });
  }

  private busOf(ctx: EventsContext, name = 'default'): Bus {
    const account = ctx.principal.accountId;
    const busName = name.startsWith('arn:') ? (parseArn(name)?.resource.replace(/^event-bus\//, '') ?? name) : name;
    const arn = `arn:aws:events:${this.region}:${account}:event-bus/${busName}`;
    if (busName === 'default' && !this.buses.has(arn)) {
      const bus = { name: 'default', arn, accountId: account, createdAt: this.clock.now() };
      this.buses.set(arn, bus);
      // Fire and forget: the default bus is made again on first use if this write is lost.
      void this.store.putEntity({ kind: 'events-bus', id: arn, accountId: account, value: bus }).catch(() => undefined);
    }
    const bus = this.buses.get(arn);
    if (!bus) throw eventsError.notFound(`Event bus ${busName} does not exist.`);
    return bus;
  }

  private ruleOf(ctx: EventsContext, name: string, busName?: string): Rule {
    const bus = this.busOf(ctx, busName);
    const rule = this.rules.get(ruleArn(bus, name, this.region));
    if (!rule) throw eventsError.notFound(`Rule ${name} does not exist on EventBus ${bus.name}.`);
    return rule;
  }

  private authorize(ctx: EventsContext, action: string, resource: string): void {
    const decision = this.authorizer.authorize({
      principal: ctx.principal,
      action: `events:${action}`,
      resource,
      resourceAccountId: ctx.principal.accountId,
      secure: ctx.secure,
      sourceIp: ctx.sourceIp,
    });
    if (decision.decision !== 'Allow') {
      const error = eventsError.accessDenied(`User: ${ctx.principal.arn} is not authorized to perform: events:${action} on resource: ${resource}`);
      error.trace = decision.explanation;
      throw error;
    }
  }

  // Buses

  async createEventBus(ctx: EventsContext, input: { name: string }) {
    if (!/^[A-Za-z0-9._\-/]{1,256}$/.test(input.name ?? '') || input.name === 'default') {
      throw eventsError.validation(`Event bus name ${input.name} is not valid.`);
    }
    const arn = `arn:aws:events:${this.region}:${ctx.principal.accountId}:event-bus/${input.name}`;
    this.authorize(ctx, 'CreateEventBus', arn);
    if (this.buses.has(arn)) throw eventsError.alreadyExists(`Event bus ${input.name} already exists.`);
    const bus = { name: input.name, arn, accountId: ctx.principal.accountId, createdAt: this.clock.now() };
    this.buses.set(arn, bus);
    await this.store.putEntity({ kind: 'events-bus', id: arn, accountId: bus.accountId, value: bus });
    return { eventBusArn: arn };
  }

  async describeEventBus(ctx: EventsContext, input: { name?: string }) {
    const bus = this.busOf(ctx, input.name);
    this.authorize(ctx, 'DescribeEventBus', bus.arn);
    return { name: bus.name, arn: bus.arn, creationTime: bus.createdAt };
  }

  async listEventBuses(ctx: EventsContext, input: { namePrefix?: string }) {
    // Account-level listings have no resource of their own: the caller's policies decide.
    this.authorize(ctx, 'ListEventBuses', '*');
    this.busOf(ctx);
    const buses = [...this.buses.values()].filter((b) => b.accountId === ctx.principal.accountId && b.name.startsWith(input.namePrefix ?? ''));
    return { eventBuses: buses.map((b) => ({ name: b.name, arn: b.arn, creationTime: b.createdAt })) };
  }

  async deleteEventBus(ctx: EventsContext, input: { name: string }) {
    if (input.name === 'default') throw eventsError.validation('Cannot delete event bus default.');
    const arn = `arn:aws:events:${this.region}:${ctx.principal.accountId}:event-bus/${input.name}`;
    this.authorize(ctx, 'DeleteEventBus', arn);
    if ([...this.rules.values()].some((r) => r.eventBusName === input.name && r.accountId === ctx.principal.accountId)) {
      throw eventsError.validation(`Cannot delete event bus ${input.name}: it still has rules.`);
    }
    this.buses.delete(arn);
    await this.store.deleteEntity('events-bus', arn);
  }

  // Rules

  async putRule(ctx: EventsContext, input: { name: string; eventPattern?: string; scheduleExpression?: string; state?: string; description?: string; eventBusName?: string }) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(input.name ?? '')) throw eventsError.validation(`Rule name ${input.name} is not valid.`);
    if (!input.eventPattern && !input.scheduleExpression) throw eventsError.validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    const bus = this.busOf(ctx, input.eventBusName);
    if (input.eventPattern) {
      try {
        parseEventPattern(input.eventPattern);
      } catch (error) {
        if (error instanceof EventPatternError) throw eventsError.invalidPattern(error.message);
        throw error;
      }
    }
    if (input.scheduleExpression) {
      if (bus.name !== 'default') throw eventsError.validation('ScheduleExpression is supported only on the default event bus.');
      nextRun(input.scheduleExpression, this.clock.now()); // validates
    }
    const arn = ruleArn(bus, input.name, this.region);
    this.authorize(ctx, 'PutRule', arn);
    const existing = this.rules.get(arn);
    const state = input.state === 'DISABLED' ? 'DISABLED' : 'ENABLED';
    const definition = {
      eventPattern: input.eventPattern,
      scheduleExpression: input.scheduleExpression,
      state,
      description: input.description,
      nextRunAt: input.scheduleExpression ? nextRun(input.scheduleExpression, this.clock.now()) : undefined,
    } as const;
    // A rule already there keeps its targets, whatever this node last saw of them.
    if (existing) {
      await this.updateRule(existing, (r) => Object.assign(r, definition));
      return { ruleArn: arn };
    }
    const rule: Rule = {
      name: input.name,
      arn,
      accountId: bus.accountId,
      eventBusName: bus.name,
      eventPattern: input.eventPattern,
      scheduleExpression: input.scheduleExpression,
      state,
      description: input.description,
      targets: [],
      nextRunAt: input.scheduleExpression ? nextRun(input.scheduleExpression, this.clock.now()) : undefined,
    };
    await this.saveRule(rule);
    return { ruleArn: arn };
  }

  async describeRule(ctx: EventsContext, input: { name: string; eventBusName?: string }) {
    const rule = this.ruleOf(ctx, input.name, input.eventBusName);
    this.authorize(ctx, 'DescribeRule', rule.arn);
    return {
      name: rule.name,
      arn: rule.arn,
      eventPattern: rule.eventPattern,
      scheduleExpression: rule.scheduleExpression,
      state: rule.state,
      description: rule.description,
      eventBusName: rule.eventBusName,
    };
  }

  async listRules(ctx: EventsContext, input: { namePrefix?: string; eventBusName?: string }) {
    this.authorize(ctx, 'ListRules', '*');
    const bus = this.busOf(ctx, input.eventBusName);
    const rules = [...this.rules.values()].filter((r) => r.accountId === bus.accountId && r.eventBusName === bus.name && r.name.startsWith(input.namePrefix ?? ''));
    return {
      rules: rules.map((r) => ({ name: r.name, arn: r.arn, eventPattern: r.eventPattern, scheduleExpression: r.scheduleExpression, state: r.state, description: r.description, eventBusName: r.eventBusName })),
    };
  }

  async enableRule(ctx: EventsContext, input: { name: string; eventBusName?: string }) {
    const rule = this.ruleOf(ctx, input.name, input.eventBusName);
    this.authorize(ctx, 'EnableRule', rule.arn);
    await this.updateRule(rule, (r) => {
      r.state = 'ENABLED';
    });
  }

  async disableRule(ctx: EventsContext, input: { name: string; eventBusName?: string }) {
    const rule = this.ruleOf(ctx, input.name, input.eventBusName);
    this.authorize(ctx, 'DisableRule', rule.arn);
    await this.updateRule(rule, (r) => {
      r.state = 'DISABLED';
    });
  }

  async deleteRule(ctx: EventsContext, input: { name: string; eventBusName?: string }) {
    const rule = this.ruleOf(ctx, input.name, input.eventBusName);
    this.authorize(ctx, 'DeleteRule', rule.arn);
    if (rule.targets.length > 0) throw eventsError.validation('Rule can\'t be deleted since it has targets.');
    this.rules.delete(rule.arn);
    await this.store.deleteEntity('events-rule', rule.arn);
  }

  // Targets

  async putTargets(ctx: EventsContext, input: { rule: string; eventBusName?: string; targets: Target[] }) {
    const rule = this.ruleOf(ctx, input.rule, input.eventBusName);
    this.authorize(ctx, 'PutTargets', rule.arn);
    const failedEntries: Array<{ targetId: string; errorCode: string; errorMessage: string }> = [];
    const accepted: Target[] = [];
    for (const t of input.targets ?? []) {
      const problem = this.targetProblem(t);
      if (problem) failedEntries.push({ targetId: t.id, errorCode: 'ValidationException', errorMessage: problem });
      else accepted.push(t);
    }
    const withAccepted = (targets: Target[]) => [...targets.filter((x) => !accepted.some((t) => t.id === x.id)), ...accepted];
    if (withAccepted(rule.targets).length > 5) throw eventsError.validation('A rule can have at most 5 targets.');
    await this.updateRule(rule, (r) => {
      r.targets = withAccepted(r.targets);
    });
    return { failedEntryCount: failedEntries.length, failedEntries };
  }

  private targetProblem(t: Target): string | undefined {
    const arn = parseArn(t.arn ?? '');
    if (!t.id || !/^[\w.-]{1,64}$/.test(t.id)) return 'Target Id is not valid.';
    if (!arn || arn.service !== 'sqs') return 'sealq supports SQS targets only.';
    if ([t.input, t.inputPath, t.inputTransformer].filter((x) => x !== undefined).length > 1) {
      return 'Only one of Input, InputPath or InputTransformer may be set.';
    }
    const dlq = t.deadLetterConfig?.arn;
    // AWS: a target's dead-letter queue must be a standard SQS queue.
    if (dlq && (parseArn(dlq)?.service !== 'sqs' || dlq.endsWith('.fifo'))) return 'The dead-letter queue must be a standard SQS queue.';
    if (arn.resource.endsWith('.fifo') && !t.sqsParameters?.messageGroupId) return 'A FIFO queue target needs SqsParameters.MessageGroupId.';
    return undefined;
  }

  async removeTargets(ctx: EventsContext, input: { rule: string; eventBusName?: string; ids: string[] }) {
    const rule = this.ruleOf(ctx, input.rule, input.eventBusName);
    this.authorize(ctx, 'RemoveTargets', rule.arn);
    await this.updateRule(rule, (r) => {
      r.targets = r.targets.filter((t) => !(input.ids ?? []).includes(t.id));
    });
    return { failedEntryCount: 0, failedEntries: [] };
  }

  async listTargetsByRule(ctx: EventsContext, input: { rule: string; eventBusName?: string }) {
    const rule = this.ruleOf(ctx, input.rule, input.eventBusName);
    this.authorize(ctx, 'ListTargetsByRule', rule.arn);
    return { targets: rule.targets };
  }

  // Events

  async testEventPattern(ctx: EventsContext, input: { eventPattern: string; event: string }) {
    this.authorize(ctx, 'TestEventPattern', '*');
    let pattern;
    try {
      pattern = parseEventPattern(input.eventPattern);
    } catch (error) {
      if (error instanceof EventPatternError) throw eventsError.invalidPattern(error.message);
      throw error;
    }
    let event: unknown;
    try {
      event = JSON.parse(input.event);
    } catch {
      throw eventsError.validation('Parameter Event is not valid JSON.');
    }
    return { result: matchesEventPattern(pattern, event) };
  }

  async putEvents(ctx: EventsContext, input: { entries: Array<{ source?: string; detailType?: string; detail?: string; resources?: string[]; eventBusName?: string; time?: number }> }) {
    const entries = input.entries ?? [];
    if (entries.length < 1 || entries.length > 10) throw eventsError.validation('PutEvents takes 1 to 10 entries.');
    const results: Array<{ eventId?: string; errorCode?: string; errorMessage?: string }> = [];
    for (const entry of entries) {
      let detail: unknown;
      try {
        detail = JSON.parse(entry.detail ?? '');
      } catch {
        detail = undefined;
      }
      if (!entry.source || !entry.detailType || detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
        results.push({ errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' });
        continue;
      }
      const bus = this.busOf(ctx, entry.eventBusName);
      this.authorize(ctx, 'PutEvents', bus.arn);
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.detailType,
        source: entry.source,
        account: bus.accountId,
        // AWS JSON timestamps arrive as epoch seconds (the model layer passes them through as such).
        time: new Date(entry.time !== undefined ? entry.time * 1000 : this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.region,
        resources: entry.resources ?? [],
        detail,
      };
      this.dispatch(bus, event);
      results.push({ eventId: event.id });
    }
    return { failedEntryCount: results.filter((r) => r.errorCode).length, entries: results };
  }

  /** Sends an event to the targets of every enabled rule on the bus whose pattern matches. */
  private dispatch(bus: Bus, event: Record<string, unknown>): void {
    for (const rule of this.rules.values()) {
      if (rule.eventBusName !== bus.name || rule.accountId !== bus.accountId || rule.state !== 'ENABLED' || !rule.eventPattern) continue;
      if (!matchesEventPattern(parseEventPattern(rule.eventPattern), event)) continue;
      for (const target of rule.targets) setImmediate(() => void this.deliver(rule, target, event, 0, this.clock.now()));
    }
  }

  private async runSchedulesUnderLease(): Promise<void> {
    const scheduled = [...this.rules.values()].some((r) => r.state === 'ENABLED' && r.scheduleExpression);
    if (!scheduled) return;
    if (!(await this.lease('events-scheduler', SCHEDULER_LEASE_MS).catch(() => false))) return;
    this.runSchedules();
  }

  private runSchedules(): void {
    const now = this.clock.now();
    for (const rule of this.rules.values()) {
      if (rule.state !== 'ENABLED' || !rule.scheduleExpression || rule.nextRunAt === undefined || now < rule.nextRunAt) continue;
      const nextRunAt = nextRun(rule.scheduleExpression, now);
      // A lost write only means the schedule is reckoned from the older time after a restart.
      void this.updateRule(rule, (r) => {
        if (r.nextRunAt === undefined || r.nextRunAt < nextRunAt) r.nextRunAt = nextRunAt;
      }).catch(() => undefined);
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: rule.accountId,
        time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: this.region,
        resources: [rule.arn],
        detail: {},
      };
      for (const target of rule.targets) void this.deliver(rule, target, event, 0, now);
    }
  }

  private async deliver(rule: Rule, target: Target, event: Record<string, unknown>, attempt: number, firstAt: number): Promise<void> {
    const record: EventDeliveryRecord = { time: this.clock.now(), ruleArn: rule.arn, targetArn: target.arn, outcome: 'delivered' };
    const principal = servicePrincipal('events.amazonaws.com', rule.arn, rule.accountId);
    try {
      await this.sqs().deliver(
        { requestId: randomUUID(), accountId: rule.accountId, region: this.region, baseUrl: '', senderId: principal.userId, principal, secure: true },
        { queueArn: target.arn, messageBody: applyInput(target, event, rule), messageGroupId: target.sqsParameters?.messageGroupId },
      );
    } catch (error) {
      record.errorCode = error instanceof AwsError ? error.spec.queryCode : 'InternalError';
      const permanent = error instanceof AwsError && error.spec.fault === 'Sender';
      const retry = { ...DEFAULT_RETRY, ...target.retryPolicy };
      const young = this.clock.now() - firstAt < retry.maximumEventAgeInSeconds * 1000;
      // AWS: permission and other client-side errors skip the retries and go to the DLQ at once.
      if (!permanent && attempt < retry.maximumRetryAttempts && young) {
        setTimeout(() => void this.deliver(rule, target, event, attempt + 1, firstAt), Math.min(1000 * 2 ** attempt, 60_000)).unref();
        return;
      }
      record.outcome = 'failed';
      if (target.deadLetterConfig?.arn) {
        try {
          await this.sqs().deliver(
            { requestId: randomUUID(), accountId: rule.accountId, region: this.region, baseUrl: '', senderId: principal.userId, principal, secure: true },
            {
              queueArn: target.deadLetterConfig.arn,
              messageBody: JSON.stringify(event),
              messageAttributes: {
                ERROR_CODE: { dataType: 'String', stringValue: record.errorCode },
                ERROR_MESSAGE: { dataType: 'String', stringValue: error instanceof Error && error.message ? error.message.slice(0, 256) : record.errorCode },
                RULE_ARN: { dataType: 'String', stringValue: rule.arn },
                TARGET_ARN: { dataType: 'String', stringValue: target.arn },
              },
            },
          );
          record.outcome = 'dead-lettered';
        } catch {
          /* stays recorded as failed */
        }
      }
    }
    this.deliveries.push(record);
    if (this.deliveries.length > 10_000) this.deliveries.splice(0, 1000);
    this.onDelivery(record);
  }
}

function ruleArn(bus: Bus, name: string, region: string): string {
  return bus.name === 'default'
    ? `arn:aws:events:${region}:${bus.accountId}:rule/${name}`
    : `arn:aws:events:${region}:${bus.accountId}:rule/${bus.name}/${name}`;
}

const UNITS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** The next run of `rate(n unit)` or `cron(min hour dom month dow year)` after `now` (UTC). */
export function nextRun(expression: string, now: number): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1 || (n === 1) !== !rate[2].endsWith('s')) throw eventsError.validation('Parameter ScheduleExpression is not valid.');
    return now + n * UNITS[rate[2]];
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) throw eventsError.validation('Parameter ScheduleExpression is not valid.');
  const [, min, hour, dom, month, dow, year] = cron;
  const fields = [field(min, 0, 59), field(hour, 0, 23), field(dom, 1, 31), field(month, 1, 12), field(dow, 1, 7), field(year, 1970, 2199)];
  if (fields.some((f) => f === undefined)) throw eventsError.validation('Parameter ScheduleExpression is not valid.');
  const [mins, hours, doms, months, dows, years] = fields as Array<Set<number> | 'any'>;
  const t = new Date(Math.floor(now / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 366 * 24 * 60; i++, t.setUTCMinutes(t.getUTCMinutes() + 1)) {
    const ok = (f: Set<number> | 'any', v: number) => f === 'any' || f.has(v);
    if (ok(mins, t.getUTCMinutes()) && ok(hours, t.getUTCHours()) && ok(doms, t.getUTCDate()) && ok(months, t.getUTCMonth() + 1) && ok(dows, t.getUTCDay() + 1) && ok(years, t.getUTCFullYear())) {
      return t.getTime();
    }
  }
  throw eventsError.validation('Parameter ScheduleExpression never runs within a year.');
}

/** One cron field: `*`, `?`, numbers, ranges `a-b`, steps `x/n`, lists; undefined when invalid. */
function field(text: string, lo: number, hi: number): Set<number> | 'any' | undefined {
  if (text === '*' || text === '?') return 'any';
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const start = m[1] === '*' ? lo : Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : m[3] !== undefined || m[1] === '*' ? hi : start;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (start < lo || end > hi || start > end || step < 1) return undefined;
    for (let v = start; v <= end; v += step) out.add(v);
  }
  return out;
}

export const implementedEventsActions: ReadonlySet<string> = new Set([
  'CreateEventBus', 'DescribeEventBus', 'ListEventBuses', 'DeleteEventBus',
  'PutRule', 'DescribeRule', 'ListRules', 'EnableRule', 'DisableRule', 'DeleteRule',
  'PutTargets', 'RemoveTargets', 'ListTargetsByRule', 'PutEvents', 'TestEventPattern',
]);
