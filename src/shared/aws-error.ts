/**
 * An error a client is meant to see. Each service keeps a catalogue of these; protocol codecs
 * render them (JSON `__type` + `x-amzn-query-error`, or a Query `<ErrorResponse>`).
 */
export interface AwsErrorSpec {
  /** The modelled shape name, used for the JSON `__type` (e.g. QueueDoesNotExist). */
  readonly shape: string;
  /** The AWS Query error code (e.g. AWS.SimpleQueueService.NonExistentQueue). */
  readonly queryCode: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';
}

export class AwsError extends Error {
  /** Why an authorization failed, statement by statement: logged, never sent to the client. */
  trace?: string[];

  constructor(
    readonly spec: AwsErrorSpec,
    message: string,
    /** AWS: a few errors read differently over the Query protocol. */
    readonly queryMessage: string = message,
  ) {
    super(message);
    this.name = spec.shape;
  }
  get code(): string {
    return this.spec.queryCode;
  }
}

export function isAwsError(error: unknown): error is AwsError {
  return error instanceof AwsError;
}
