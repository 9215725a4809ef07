import type { AwsError } from '../shared/aws-error.js';
import type { EncodedResponse } from './aws-json/encode.js';
import { decodeQueryInput } from './aws-query/decode.js';
import { encodeQueryError, encodeQueryResult } from './aws-query/encode.js';
import { toInternal, toWire, type ServiceModel } from './model.js';
import { protocolErrors } from './protocol-errors.js';

/**
 * A service spoken only over AWS Query (IAM, STS): decode the form parameters by the model,
 * call the core's method named after the action, encode the result as XML.
 */
export class QueryService<Ctx> {
  constructor(
    private readonly model: ServiceModel,
    private readonly core: object,
    private readonly implemented: ReadonlySet<string>,
    /** Throws when the caller may not run the action with this (camelCase) input. */
    private readonly authorize: (ctx: Ctx, action: string, input: Record<string, unknown>) => void = () => undefined,
  ) {}

  /** Decodes and runs one call; returns the response, or throws an AwsError for the caller to encode. */
  async handle(ctx: Ctx, params: URLSearchParams, requestId: string): Promise<EncodedResponse> {
    const action = params.get('Action');
    if (!action) throw protocolErrors.missingAction();
    const operation = this.model.operations[action];
    if (!operation) throw protocolErrors.invalidAction(action);
    if (!this.implemented.has(action)) throw protocolErrors.notImplemented(action);
    const input = toInternal(operation.input, decodeQueryInput(params, operation.input)) as Record<string, unknown>;
    this.authorize(ctx, action, input);
    const method = (this.core as Record<string, (c: Ctx, i: unknown) => Promise<unknown>>)[
      action.charAt(0).toLowerCase() + action.slice(1)
    ];
    const result = await method.call(this.core, ctx, input);
    // AWS: IAM and STS return empty lists as empty elements, not by leaving them out.
    const wire = operation.output ? toWire(operation.output, result, { keepEmptyLists: true }) : undefined;
    return encodeQueryResult(action, operation, wire, requestId, this.model.metadata.xmlNamespace);
  }

  encodeError(error: AwsError, requestId: string): EncodedResponse {
    return encodeQueryError(error, requestId, this.model.metadata.xmlNamespace);
  }
}
