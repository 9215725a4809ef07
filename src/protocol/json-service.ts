import type { AwsError } from '../shared/aws-error.js';
import { decodeJsonInput } from './aws-json/decode.js';
import { encodeJsonError, encodeJsonResult, type EncodedResponse } from './aws-json/encode.js';
import { toInternal, toWire, type ServiceModel } from './model.js';
import { protocolErrors } from './protocol-errors.js';

/**
 * A service spoken over AWS JSON 1.1 (KMS): `X-Amz-Target: <prefix>.<Action>`, a JSON body checked
 * against the model, the core's method named after the action, a JSON result.
 */
export class JsonService<Ctx> {
  private readonly contentType: string;

  constructor(
    private readonly model: ServiceModel & { metadata: { jsonVersion?: string } },
    private readonly core: object,
    private readonly implemented: ReadonlySet<string>,
  ) {
    this.contentType = `application/x-amz-json-${model.metadata.jsonVersion ?? '1.1'}`;
  }

  targets(target: string): boolean {
    return target.startsWith(`${this.model.metadata.targetPrefix}.`);
  }

  async handle(ctx: Ctx, target: string, body: Buffer): Promise<EncodedResponse> {
    const action = target.slice(this.model.metadata.targetPrefix.length + 1);
    const operation = this.model.operations[action];
    if (!operation) throw protocolErrors.unknownOperation(target);
    if (!this.implemented.has(action)) throw protocolErrors.notImplemented(action);
    const input = toInternal(operation.input, decodeJsonInput(body, operation.input));
    const method = (this.core as Record<string, (c: Ctx, i: unknown) => Promise<unknown>>)[
      action.charAt(0).toLowerCase() + action.slice(1)
    ];
    const result = await method.call(this.core, ctx, input);
    const wire = operation.output ? toWire(operation.output, result, { epochSecondTimestamps: true, keepEmptyLists: true }) : undefined;
    return encodeJsonResult(wire, this.contentType);
  }

  encodeError(error: AwsError): EncodedResponse {
    // AWS: KMS names errors without a namespace and sends no x-amzn-query-error header, and its
    // authentication failures (UnrecognizedClientException and the like) are 400s, not 403s.
    const encoded = encodeJsonError(error, '', { queryCompatible: false, contentType: this.contentType, bareType: true });
    if (encoded.status === 403) encoded.status = 400;
    return encoded;
  }
}
