import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { EncodedResponse } from '../protocol/aws-json/encode.js';
import { encodeQueryError } from '../protocol/aws-query/encode.js';
import { parseForm } from '../protocol/aws-query/decode.js';
import { protocolErrors } from '../protocol/protocol-errors.js';
import type { QueryService } from '../protocol/query-service.js';
import type { JsonService } from '../protocol/json-service.js';
import type { SnsContext } from '../services/sns/sns-service.js';
import {
  decodeJsonCall,
  decodeQueryCall,
  encodeError,
  encodeResult,
  invoke,
  type SqsCall,
  type WireProtocol,
} from '../protocol/sqs/sqs-endpoint.js';
import { explainDecision, type ExplainQuestion } from '../services/explain.js';
import { costReport, summarize } from '../services/kms/metering.js';
import { authErrorSpecs } from '../auth/auth-errors.js';
import { servicePrincipal, type Principal } from '../services/iam/entities.js';
import { authorizeIam } from '../services/iam/iam-access.js';
import type { Identity } from '../services/identity.js';
import type { SqsService } from '../services/sqs/sqs-service.js';
import type { RequestContext } from '../services/sqs/types.js';
import { AwsError, isAwsError } from '../shared/aws-error.js';
import type { Clock } from '../shared/clock.js';

export interface CallerContext {
  principal: Principal;
  secure: boolean;
  sourceIp?: string;
}

export interface PipelineDependencies {
  config: Config;
  logger: Logger;
  clock: Clock;
  sqs: SqsService;
  identity: Identity;
  iam: QueryService<CallerContext>;
  sts: QueryService<CallerContext>;
  kms: JsonService<CallerContext>;
  sns: QueryService<SnsContext>;
}

/** A fully read request: what the pipeline needs, independent of node:http. */
export interface RawRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingMessage['headers'];
  /** Repeated headers kept apart: SigV4 joins them with ',' where node's `headers` uses ', '. */
  headersDistinct?: IncomingMessage['headersDistinct'];
  body: Buffer;
  secure: boolean;
  sourceIp?: string;
}

type Service = 'sqs' | 'iam' | 'sts' | 'kms' | 'sns';

const SCOPE_SERVICE = /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([a-z0-9-]+)\/aws4_request/;
const QUERY_SCOPE_SERVICE = /X-Amz-Credential=[^&/]+(?:%2F|\/)\d{8}(?:%2F|\/)[^&%/]+(?:%2F|\/)([a-z0-9-]+)(?:%2F|\/)aws4_request/i;

/** Which service a request is for: X-Amz-Target names it, else the signature's scope does. */
function serviceOf(request: RawRequest): Service {
  const target = header(request.headers['x-amz-target']);
  if (target) return target.startsWith('TrentService.') ? 'kms' : 'sqs';
  const auth = header(request.headers.authorization);
  const scoped = (auth && SCOPE_SERVICE.exec(auth)?.[1]) ?? QUERY_SCOPE_SERVICE.exec(request.query)?.[1];
  return scoped === 'iam' || scoped === 'sts' || scoped === 'sns' ? scoped : 'sqs';
}

/**
 * One request's journey, top to bottom: pick the service and protocol → authenticate the
 * signature → decode → authorize and run the operation → encode. Every failure leaves as an AWS
 * error in the caller's protocol; anything unexpected becomes InternalFailure, logged once.
 */
export async function handleRequest(deps: PipelineDependencies, request: RawRequest, requestId: string): Promise<EncodedResponse> {
  const service = serviceOf(request);
  const protocol: WireProtocol = request.headers['x-amz-target'] ? 'json' : 'query';
  try {
    const caller = deps.identity.authenticator.authenticate(
      {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.headersDistinct ?? request.headers,
        body: request.body,
      },
      deps.clock.now(),
    );
    const callerContext: CallerContext = { principal: caller.principal, secure: request.secure, sourceIp: request.sourceIp };
    if (request.path === '/_sealq/explain') return explainEndpoint(deps, callerContext, request);
    if (request.path === '/_sealq/kms-usage') return kmsUsageEndpoint(deps, callerContext, request);
    if (request.path === '/_sealq/deliver') return await deliverEndpoint(deps, callerContext, request, requestId);
    if (service === 'iam' || service === 'sts') {
      return await deps[service].handle(callerContext, formParams(request), requestId);
    }
    if (service === 'kms') {
      return await deps.kms.handle(callerContext, header(request.headers['x-amz-target'])!, request.body);
    }
    if (service === 'sns') {
      const host = header(request.headers.host) ?? `${deps.config.host}:${deps.config.port}`;
      return await deps.sns.handle(
        { ...callerContext, baseUrl: `${request.secure ? 'https' : 'http'}://${host}` },
        formParams(request),
        requestId,
      );
    }
    const call = decodeSqsCall(request);
    const host = header(request.headers.host) ?? `${deps.config.host}:${deps.config.port}`;
    const ctx: RequestContext = {
      requestId,
      accountId: caller.principal.accountId,
      region: caller.region,
      baseUrl: `${request.secure ? 'https' : 'http'}://${host}`,
      senderId: caller.principal.userId,
      principal: caller.principal,
      secure: request.secure,
      sourceIp: request.sourceIp,
    };
    const wire = await invoke(deps.sqs, ctx, call);
    return encodeResult(call, wire, requestId);
  } catch (error) {
    const awsError = asAwsError(error, deps.logger, requestId);
    if (awsError.trace) deps.logger.info({ requestId, code: awsError.spec.queryCode, trace: awsError.trace }, 'request denied');
    if (service === 'iam' || service === 'sts') return deps[service].encodeError(awsError, requestId);
    if (service === 'kms') return deps.kms.encodeError(awsError);
    if (service === 'sns') return deps.sns.encodeError(awsError, requestId);
    return encodeError(protocol, awsError, requestId);
  }
}

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
 * summarised, with the cost report per queue. For the account's root user.
 */
function kmsUsageEndpoint(deps: PipelineDependencies, caller: CallerContext, request: RawRequest): EncodedResponse {
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
  const records = deps.identity.kmsAudit.between(from, to, caller.principal.accountId);
  const report = costReport(records, { from, to }, (arn) =>
    Number(deps.sqs.queues.byArn(arn)?.record.attributes.KmsDataKeyReusePeriodSeconds ?? 300),
  );
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to, summary: summarize(records), report }),
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

function formParams(request: RawRequest): URLSearchParams {
  const params = parseForm(request.query);
  if (request.method === 'POST' && request.body.length > 0) {
    for (const [k, v] of parseForm(request.body.toString('utf8'))) params.append(k, v);
  }
  return params;
}

function decodeSqsCall(request: RawRequest): SqsCall {
  const target = header(request.headers['x-amz-target']);
  if (target) {
    if (request.method !== 'POST') throw protocolErrors.unknownOperation(target);
    return decodeJsonCall(target, request.body);
  }
  const segments = request.path.split('/').filter((s) => s !== '');
  const host = header(request.headers.host) ?? 'localhost';
  const queueUrl =
    segments.length === 2 ? `${request.secure ? 'https' : 'http'}://${host}/${segments[0]}/${segments[1]}` : undefined;
  return decodeQueryCall(formParams(request), queueUrl);
}

function asAwsError(error: unknown, logger: Logger, requestId: string): AwsError {
  if (isAwsError(error)) return error;
  logger.error({ err: error, requestId }, 'internal failure');
  return protocolErrors.internalFailure();
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Errors raised before the service is known render as SQS Query errors. */
export function fallbackError(error: AwsError, requestId: string): EncodedResponse {
  return encodeQueryError(error, requestId, 'http://queue.amazonaws.com/doc/2012-11-05/');
}
