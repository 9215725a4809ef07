import { AwsError } from '../../shared/aws-error.js';
import type { SqsService } from '../../services/sqs/sqs-service.js';
import type { RequestContext } from '../../services/sqs/types.js';
import { decodeJsonInput } from '../aws-json/decode.js';
import { encodeJsonError, encodeJsonResult, type EncodedResponse } from '../aws-json/encode.js';
import { decodeQueryInput } from '../aws-query/decode.js';
import { encodeQueryError, encodeQueryResult } from '../aws-query/encode.js';
import { toInternal, toWire, type OperationModel } from '../model.js';
import { protocolErrors } from '../protocol-errors.js';
import { sqsModel } from './sqs-model.js';

export type WireProtocol = 'json' | 'query';

/** A decoded SQS call, whichever protocol carried it. */
export interface SqsCall {
  protocol: WireProtocol;
  action: string;
  operation: OperationModel;
  input: Record<string, unknown>;
}

const JSON_NAMESPACE = 'com.amazonaws.sqs';
const TARGET_PREFIX = `${sqsModel.metadata.targetPrefix}.`;
const operations = new Map(Object.entries(sqsModel.operations));
const methodOf = (action: string) => action.charAt(0).toLowerCase() + action.slice(1);

/** AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Action>` and a JSON body. */
export function decodeJsonCall(target: string, body: Buffer): SqsCall {
  const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  const operation = operations.get(action);
  if (!operation) throw protocolErrors.unknownOperation(target);
  return { protocol: 'json', action, operation, input: decodeJsonInput(body, operation.input) };
}

/**
 * AWS Query: `Action=<Action>` with form parameters. Older SDKs post to the queue URL itself and
 * may leave QueueUrl out of the parameters; the path stands in for it then.
 */
export function decodeQueryCall(params: URLSearchParams, queueUrlFromPath: string | undefined): SqsCall {
  const action = params.get('Action');
  if (!action) throw protocolErrors.missingAction();
  const operation = operations.get(action);
  if (!operation) throw protocolErrors.invalidAction(action);
  if (queueUrlFromPath && operation.input.members.QueueUrl && !params.has('QueueUrl')) {
    params.set('QueueUrl', queueUrlFromPath);
  }
  return { protocol: 'query', action, operation, input: decodeQueryInput(params, operation.input) };
}

/** Runs the call on the service and returns the wire-shaped output. */
export async function invoke(service: SqsService, ctx: RequestContext, call: SqsCall): Promise<unknown> {
  const method = (service as unknown as Record<string, (c: RequestContext, i: unknown) => Promise<unknown>>)[
    methodOf(call.action)
  ];
  const result = await method.call(service, ctx, toInternal(call.operation.input, call.input));
  return call.operation.output ? toWire(call.operation.output, result) : undefined;
}

export function encodeResult(call: SqsCall, wire: unknown, requestId: string): EncodedResponse {
  return call.protocol === 'json'
    ? encodeJsonResult(wire)
    : encodeQueryResult(call.action, call.operation, wire, requestId, sqsModel.metadata.xmlNamespace);
}

export function encodeError(protocol: WireProtocol, error: AwsError, requestId: string): EncodedResponse {
  return protocol === 'json'
    ? encodeJsonError(error, JSON_NAMESPACE, { queryCompatible: true })
    : encodeQueryError(error, requestId, sqsModel.metadata.xmlNamespace);
}

export { AwsError };
