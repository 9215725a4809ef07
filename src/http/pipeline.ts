import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { EncodedResponse } from '../protocol/aws-json/encode.js';
import { encodeQueryError } from '../protocol/aws-query/encode.js';
import { parseForm } from '../protocol/aws-query/decode.js';
import { protocolErrors } from '../protocol/protocol-errors.js';
import type { QueryService } from '../protocol/query-service.js';
import type { JsonService } from '../protocol/json-service.js';
import type { DeliveryRecord, SnsContext } from '../services/sns/sns-service.js';
import type { EventDeliveryRecord } from '../services/events/events-service.js';
import type { S3DeliveryRecord } from '../services/s3/s3-service.js';
import { adminEndpoints } from './admin.js';
import type { Metrics } from '../observability/metrics.js';
import {
  decodeJsonCall,
  decodeQueryCall,
  encodeError,
  encodeResult,
  invoke,
  type SqsCall,
  type WireProtocol,
} from '../protocol/sqs/sqs-endpoint.js';
import type { Principal } from '../services/iam/entities.js';
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
  events: JsonService<CallerContext>;
  metrics?: Metrics;
  /** The delivery records of SNS, EventBridge and S3 notifications (POST /_sealq/deliveries). */
  deliveryLogs?: () => DeliveryLogs;
}

export interface DeliveryLogs {
  sns: readonly DeliveryRecord[];
  events: readonly EventDeliveryRecord[];
  s3: readonly S3DeliveryRecord[];
  /** The account owning a bucket, if it still exists. */
  bucketAccount: (bucket: string) => string | undefined;
}

/** A fully read request: what the pipeline needs, independent of node:http. */
/** The client's address as aws:SourceIp sees it: IPv4 without its IPv6-mapped prefix. */
export function clientIp(socket: Socket): string | undefined {
  return socket.remoteAddress?.replace(/^::ffff:/, '');
}

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

type Service = 'sqs' | 'iam' | 'sts' | 'kms' | 'sns' | 'events';

const SCOPE_SERVICE = /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([a-z0-9-]+)\/aws4_request/;
const QUERY_SCOPE_SERVICE = /X-Amz-Credential=[^&/]+(?:%2F|\/)\d{8}(?:%2F|\/)[^&%/]+(?:%2F|\/)([a-z0-9-]+)(?:%2F|\/)aws4_request/i;

/** Which service a request is for: X-Amz-Target names it, else the signature's scope does. */
function serviceOf(request: RawRequest): Service {
  const target = header(request.headers['x-amz-target']);
  if (target) return target.startsWith('TrentService.') ? 'kms' : target.startsWith('AWSEvents.') ? 'events' : 'sqs';
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
  const started = performance.now();
  const seen: { principal?: string } = {};
  const service = serviceOf(request);
  const response = await route(deps, request, requestId, seen, service);
  const action = actionOf(request) ?? request.path;
  const seconds = (performance.now() - started) / 1000;
  deps.metrics?.request(service, action, response.status, seconds);
  // One line per request at debug level: never bodies or secrets.
  if (deps.logger.isLevelEnabled('debug')) {
    deps.logger.debug({ requestId, service, action, principal: seen.principal, status: response.status, ms: Math.round(seconds * 1000) }, 'request');
  }
  return response;
}

/** The action a request names: its X-Amz-Target suffix or its Action parameter. */
function actionOf(request: RawRequest): string | undefined {
  const target = header(request.headers['x-amz-target']);
  if (target) return target.slice(target.indexOf('.') + 1);
  const fromQuery = /(?:^|&)Action=([A-Za-z]+)/.exec(request.query)?.[1];
  if (fromQuery) return fromQuery;
  return request.method === 'POST' && request.body.length < 65_536 ? /(?:^|&)Action=([A-Za-z]+)/.exec(request.body.toString('latin1'))?.[1] : undefined;
}

async function route(
  deps: PipelineDependencies,
  request: RawRequest,
  requestId: string,
  seen: { principal?: string },
  service: Service,
): Promise<EncodedResponse> {
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
    seen.principal = caller.principal.arn;
    const callerContext: CallerContext = { principal: caller.principal, secure: request.secure, sourceIp: request.sourceIp };
    const admin = adminEndpoints[request.path];
    if (admin) return await admin(deps, callerContext, request, requestId);
    if (service === 'iam' || service === 'sts') {
      return await deps[service].handle(callerContext, formParams(request), requestId);
    }
    if (service === 'kms' || service === 'events') {
      return await deps[service].handle(callerContext, header(request.headers['x-amz-target'])!, request.body);
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
    if (awsError.trace) {
      deps.metrics?.denial(actionOf(request) ?? request.path);
      deps.logger.info({ requestId, principal: seen.principal, code: awsError.spec.queryCode, trace: awsError.trace }, 'request denied');
    }
    if (service === 'iam' || service === 'sts') return deps[service].encodeError(awsError, requestId);
    if (service === 'kms' || service === 'events') return deps[service].encodeError(awsError);
    if (service === 'sns') return deps.sns.encodeError(awsError, requestId);
    return encodeError(protocol, awsError, requestId);
  }
}

export function formParams(request: RawRequest): URLSearchParams {
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

export const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Errors raised before the service is known render as SQS Query errors. */
export function fallbackError(error: AwsError, requestId: string): EncodedResponse {
  return encodeQueryError(error, requestId, 'http://queue.amazonaws.com/doc/2012-11-05/');
}
