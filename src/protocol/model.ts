/**
 * The compact service-model shapes the codecs walk (generated from the official AWS models by
 * scripts/gen-models.mjs). `queryName` is the member's element name over AWS Query / XML.
 */
export type Shape = StructureShape | ListShape | MapShape | ScalarShape;

export interface StructureShape {
  type: 'structure';
  members: Record<string, Shape & { queryName: string }>;
  required?: string[];
}

export interface ListShape {
  type: 'list';
  member: Shape;
  flattened: boolean;
  memberName: string;
}

export interface MapShape {
  type: 'map';
  key: Shape;
  value: Shape;
  /** Flattened maps repeat `Name.N.Key`; wrapped ones nest `Name.entry.N.key` (XML: `<entry>`). */
  flattened: boolean;
  keyName: string;
  valueName: string;
}

export interface ScalarShape {
  type: 'string' | 'integer' | 'long' | 'boolean' | 'blob' | 'timestamp';
}

export interface OperationModel {
  input: StructureShape;
  output: StructureShape | null;
  resultWrapper: string;
}

export interface ServiceModel {
  metadata: { targetPrefix: string; xmlNamespace: string; apiVersion: string };
  operations: Record<string, OperationModel>;
}

/** `MD5OfMessageBody` → `md5OfMessageBody`, `AWSAccountIds` → `awsAccountIds`, `QueueUrl` → `queueUrl`. */
export function camelName(wireName: string): string {
  const run = /^[A-Z0-9]+/.exec(wireName)?.[0] ?? '';
  if (run.length <= 1) return wireName.charAt(0).toLowerCase() + wireName.slice(1);
  const keep = run.length < wireName.length ? run.length - 1 : run.length;
  return wireName.slice(0, keep).toLowerCase() + wireName.slice(keep);
}

interface MemberPlan {
  wire: string;
  internal: string;
  shape: Shape;
  /** An empty list here is left out of outputs (AWS omits optional empty lists). */
  omitEmptyList: boolean;
}

const plans = new WeakMap<StructureShape, MemberPlan[]>();

/** Member names of a structure in both spellings, worked out once per shape. */
function planOf(shape: StructureShape): MemberPlan[] {
  let plan = plans.get(shape);
  if (!plan) {
    plan = Object.entries(shape.members).map(([wire, member]) => ({
      wire,
      internal: camelName(wire),
      shape: member,
      omitEmptyList: member.type === 'list' && !shape.required?.includes(wire),
    }));
    plans.set(shape, plan);
  }
  return plan;
}

/**
 * Wire-shaped value (PascalCase members, blobs as base64 text) → the camelCase value the service
 * cores take (blobs as Buffers). Map keys are data and stay as they are.
 */
export function toInternal(shape: Shape, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const v = value as Record<string, unknown>;
      for (const m of planOf(shape)) {
        const inner = v[m.wire];
        if (inner !== undefined) out[m.internal] = toInternal(m.shape, inner);
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) => toInternal(shape.member, item));
    case 'map': {
      const out: Record<string, unknown> = {};
      const v = value as Record<string, unknown>;
      for (const key in v) out[key] = toInternal(shape.value, v[key]);
      return out;
    }
    case 'blob':
      return Buffer.from(value as string, 'base64');
    default:
      return value;
  }
}

export interface WireOptions {
  /**
   * Keep the empty lists a service returned. AWS: IAM and STS answer an empty list as an empty
   * element (`<AttachedPolicies/>`, which SDKs read as []); SQS leaves optional empty lists out.
   */
  keepEmptyLists?: boolean;
  /** AWS JSON timestamps are epoch seconds; services hand out epoch milliseconds. */
  epochSecondTimestamps?: boolean;
}

/**
 * The inverse, for outputs: camelCase → wire names, Buffers → base64. Empty lists that the model
 * does not require are left out, as AWS leaves them out (unless `keepEmptyLists`).
 */
export function toWire(shape: Shape, value: unknown, options: WireOptions = {}): unknown {
  if (value === undefined || value === null) return undefined;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const v = value as Record<string, unknown>;
      for (const m of planOf(shape)) {
        const inner = v[m.internal];
        if (inner === undefined) continue;
        if (m.omitEmptyList && !options.keepEmptyLists && (inner as unknown[]).length === 0) continue;
        out[m.wire] = toWire(m.shape, inner, options);
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) => toWire(shape.member, item, options));
    case 'map': {
      const out: Record<string, unknown> = {};
      const v = value as Record<string, unknown>;
      for (const key in v) out[key] = toWire(shape.value, v[key], options);
      return out;
    }
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : value;
    case 'timestamp':
      return options.epochSecondTimestamps && typeof value === 'number' ? value / 1000 : value;
    default:
      return value;
  }
}
