import { authErrorSpecs } from '../auth/auth-errors.js';
import type { EncodedResponse } from '../protocol/aws-json/encode.js';
import { protocolErrors } from '../protocol/protocol-errors.js';
import { explainDecision, type ExplainQuestion } from '../services/explain.js';
import { servicePrincipal } from '../services/iam/entities.js';
import { authorizeIam } from '../services/iam/iam-access.js';
import { costReport, summarize, usageSeries } from '../services/kms/metering.js';
import { parseArn } from '../shared/arn.js';
import { AwsError } from '../shared/aws-error.js';
import { header, type CallerContext, type PipelineDependencies, type RawRequest } from './pipeline.js';

/** sealq's own endpoints under /_sealq/: signed and authorized like any request. */
/**
 * POST /_sealq/explain {principal, action, resource, context?}: the policy engine's answer and its
 * reasons. Asking is itself authorized, as iam:SimulatePrincipalPolicy on the principal asked about.
 */
function explainEndpoint(deps: PipelineDependencies, caller: CallerContext, request: RawRequest): EncodedResponse {
  let question: ExplainQuestion;
  try {
    question = JSON.parse(request.body.toString('utf8')) as ExplainQuestion;
  } catch {
    throw protocolErrors.serialization('The explain request body must be JSON.');
  }
  for (const field of ['principal', 'action', 'resource'] as const) {
    if (typeof question?.[field] !== 'string') throw protocolErrors.missingParameter(field);
  }
  authorizeIam(deps.identity.authorizer, caller, 'SimulatePrincipalPolicy', { policyArn: question.principal });
  let answer;
  try {
    answer = explainDecision(question, { directory: deps.identity.directory, authorizer: deps.identity.authorizer, sqs: deps.sqs });
  } catch (error) {
    throw protocolErrors.invalidParameterValue((error as Error).message);
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) };
}

/**
 * POST /_sealq/kms-usage {from?, to?} (epoch ms or ISO dates): the account's metered KMS calls,
 * summarised, with the cost report per queue and the calls over time (`series`, for the console's
 * chart). For the account's root user.
 */
async function kmsUsageEndpoint(deps: PipelineDependencies, caller: CallerContext, request: RawRequest): Promise<EncodedResponse> {
  if (caller.principal.type !== 'Account') {
    throw new AwsError(authErrorSpecs.AccessDenied, `User: ${caller.principal.arn} is not authorized to read KMS usage; only the account's root user is.`);
  }
  let body: { from?: number | string; to?: number | string } = {};
  if (request.body.length > 0) {
    try {
      body = JSON.parse(request.body.toString('utf8')) as typeof body;
    } catch {
      throw protocolErrors.serialization('The kms-usage request body must be JSON.');
    }
  }
  const time = (v: number | string | undefined, fallback: number) => (v === undefined ? fallback : typeof v === 'number' ? v : Date.parse(v));
  const from = time(body.from, 0);
  const to = time(body.to, deps.clock.now() + 1);
  if (Number.isNaN(from) || Number.isNaN(to)) throw protocolErrors.invalidParameterValue('from and to must be epoch milliseconds or ISO dates.');
  const records = await deps.identity.kmsAudit.query(from, to, caller.principal.accountId);
  const report = costReport(records, { from, to }, (arn) =>
    Number(deps.sqs.queues.byArn(arn)?.record.attributes.KmsDataKeyReusePeriodSeconds ?? 300),
  );
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to, summary: summarize(records), report, series: usageSeries(records, { from, to }) }),
  };
}

/**
 * POST /_sealq/deliver {asService, sourceArn?, sourceAccount?, queueUrl, body, messageAttributes?,
 * messageGroupId?, messageDeduplicationId?}: sends as a service principal, through exactly the path
 * an event source uses, so key and queue policies can be tried for any service. Impersonating a
 * service is for the queue account's root user only.
 */
async function deliverEndpoint(deps: PipelineDependencies, caller: CallerContext, request: RawRequest, requestId: string): Promise<EncodedResponse> {
  let input: {
    asService?: string;
    sourceArn?: string;
    sourceAccount?: string;
    queueUrl?: string;
    body?: string;
    messageGroupId?: string;
    messageDeduplicationId?: string;
  };
  try {
    input = JSON.parse(request.body.toString('utf8')) as typeof input;
  } catch {
    throw protocolErrors.serialization('The deliver request body must be JSON.');
  }
  for (const field of ['asService', 'queueUrl', 'body'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') throw protocolErrors.missingParameter(field);
  }
  const queue = deps.sqs.queues.resolve(input.queueUrl!);
  if (caller.principal.type !== 'Account' || caller.principal.accountId !== queue.record.accountId) {
    throw new AwsError(
      authErrorSpecs.AccessDenied,
      `User: ${caller.principal.arn} may not deliver as a service: only the root user of account ${queue.record.accountId} may.`,
    );
  }
  const principal = servicePrincipal(input.asService!, input.sourceArn, input.sourceAccount);
  const host = header(request.headers.host) ?? `${deps.config.host}:${deps.config.port}`;
  const result = await deps.sqs.deliver(
    {
      requestId,
      accountId: queue.record.accountId,
      region: deps.config.region,
      baseUrl: `${request.secure ? 'https' : 'http'}://${host}`,
      senderId: principal.userId,
      principal,
      secure: request.secure,
      sourceIp: request.sourceIp,
    },
    {
      queueArn: queue.arn,
      messageBody: input.body!,
      messageGroupId: input.messageGroupId,
      messageDeduplicationId: input.messageDeduplicationId,
    },
  );
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
}

/**
 * POST /_sealq/peek {queueUrl, max?, bodies?}: the queue's messages without changing them (no
 * visibility change, no receive count), for the console's browse. Authorized as sqs:ReceiveMessage
 * on the queue; each encrypted body is opened as the caller (SSE-KMS: kms:Decrypt via SQS), else
 * the message says which key and permission are missing. `bodies: false` leaves bodies out and
 * asks KMS nothing (the oldest message's age). Bodies are never logged.
 */
async function peekEndpoint(deps: PipelineDependencies, caller: CallerContext, request: RawRequest, requestId: string): Promise<EncodedResponse> {
  let input: { queueUrl?: unknown; max?: unknown; bodies?: unknown };
  try {
    input = JSON.parse(request.body.toString('utf8')) as typeof input;
  } catch {
    throw protocolErrors.serialization('The peek request body must be JSON.');
  }
  if (typeof input?.queueUrl !== 'string' || input.queueUrl === '') throw protocolErrors.missingParameter('queueUrl');
  if (input.max !== undefined && typeof input.max !== 'number') throw protocolErrors.invalidParameterValue('max must be a number.');
  if (input.bodies !== undefined && typeof input.bodies !== 'boolean') throw protocolErrors.invalidParameterValue('bodies must be true or false.');
  const host = header(request.headers.host) ?? `${deps.config.host}:${deps.config.port}`;
  const result = await deps.sqs.peekMessages(
    {
      requestId,
      accountId: caller.principal.accountId,
      region: deps.config.region,
      baseUrl: `${request.secure ? 'https' : 'http'}://${host}`,
      senderId: caller.principal.userId,
      principal: caller.principal,
      secure: request.secure,
      sourceIp: request.sourceIp,
    },
    { queueUrl: input.queueUrl, max: input.max, bodies: input.bodies },
  );
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
}

/** One failed or dead-lettered delivery, as POST /_sealq/deliveries returns it. */
interface DeliveryFailure {
  time: number;
  source: 'sns' | 'events' | 's3';
  /** The topic, rule or bucket ARN the delivery came from. */
  sourceArn: string;
  /** The subscription endpoint, target or queue it went to. */
  destination: string;
  outcome: string;
  errorCode?: string;
}

/**
 * POST /_sealq/deliveries {max?}: the account's most recent failed or dead-lettered deliveries of
 * SNS subscriptions, EventBridge targets and S3 notifications, newest first (up to `max`, 1–1000,
 * default 100). For the account's root user.
 */
function deliveriesEndpoint(deps: PipelineDependencies, caller: CallerContext, request: RawRequest): EncodedResponse {
  if (caller.principal.type !== 'Account') {
    throw new AwsError(authErrorSpecs.AccessDenied, `User: ${caller.principal.arn} is not authorized to read delivery records; only the account's root user is.`);
  }
  let body: { max?: number } = {};
  if (request.body.length > 0) {
    try {
      body = JSON.parse(request.body.toString('utf8')) as typeof body;
    } catch {
      throw protocolErrors.serialization('The deliveries request body must be JSON.');
    }
  }
  const max = body.max ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw protocolErrors.invalidParameterValue('max must be an integer from 1 to 1000.');
  const account = caller.principal.accountId;
  const logs = deps.deliveryLogs?.();
  const failures: DeliveryFailure[] = [];
  if (logs) {
    const failed = (r: { outcome: string }) => r.outcome !== 'delivered';
    for (const r of logs.sns) {
      if (failed(r) && parseArn(r.topicArn)?.accountId === account) {
        failures.push({ time: r.time, source: 'sns', sourceArn: r.topicArn, destination: r.endpoint, outcome: r.outcome, errorCode: r.errorCode });
      }
    }
    for (const r of logs.events) {
      if (failed(r) && parseArn(r.ruleArn)?.accountId === account) {
        failures.push({ time: r.time, source: 'events', sourceArn: r.ruleArn, destination: r.targetArn, outcome: r.outcome, errorCode: r.errorCode });
      }
    }
    for (const r of logs.s3) {
      if (failed(r) && logs.bucketAccount(r.bucket) === account) {
        failures.push({ time: r.time, source: 's3', sourceArn: `arn:aws:s3:::${r.bucket}`, destination: r.queueArn, outcome: r.outcome, errorCode: r.errorCode });
      }
    }
  }
  failures.sort((a, b) => b.time - a.time);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deliveries: failures.slice(0, max) }) };
}

type AdminEndpoint = (deps: PipelineDependencies, caller: CallerContext, request: RawRequest, requestId: string) => Promise<EncodedResponse> | EncodedResponse;

export const adminEndpoints: Record<string, AdminEndpoint> = {
  '/_sealq/explain': explainEndpoint,
  '/_sealq/kms-usage': kmsUsageEndpoint,
  '/_sealq/deliver': deliverEndpoint,
  '/_sealq/peek': peekEndpoint,
  '/_sealq/deliveries': deliveriesEndpoint,
};
