/** Parsing and validating policy documents as AWS does, into the normalised form evaluation uses. */
import { OPERATORS, parseOperatorName, policyValueProblem } from './operators.js';
import type { ConditionClause, PolicyDocument, PolicyVersion, PrincipalSet, Statement } from './types.js';
import { splitArn } from './arn.js';

/** A policy AWS would reject; callers map it to MalformedPolicyDocument / InvalidAttributeValue. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export interface ParseOptions {
  /** Identity (and session, boundary) policies name no principal; resource and key policies must. */
  kind: 'identity' | 'resource';
}

type Json = Record<string, unknown>;

const VERSIONS: readonly PolicyVersion[] = ['2012-10-17', '2008-10-17'];
const POLICY_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition',
]);
const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ARN = /^arn:[a-z-]+:(iam::\d{12}:(root|user\/.+|role\/.+)|sts::\d{12}:(assumed-role\/[^/]+\/[^/]+|federated-user\/.+))$/;
const UNIQUE_ID = /^A[A-Z0-9]{15,127}$/;
const SERVICE = /^[a-z0-9][a-z0-9.-]*$/i;
const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$/;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, message: string): never {
  throw new PolicyError(where ? `${where}: ${message}` : message);
}

/** A string or a non-empty list of strings, as a list. */
function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(where, 'must not be an empty list');
  for (const item of list) if (typeof item !== 'string' || item === '') fail(where, 'must be a string or a list of strings');
  return list as string[];
}

function parsePrincipal(value: unknown, where: string): PrincipalSet {
  const set: PrincipalSet = { any: false, aws: [], service: [], federated: [], canonicalUser: [] };
  if (value === '*') return { ...set, any: true };
  if (!isObject(value)) fail(where, 'must be "*" or an object such as {"AWS": "123456789012"}');
  for (const [type, raw] of Object.entries(value)) {
    const names = stringList(raw, `${where}.${type}`);
    const invalid = (name: string): never => fail(where, `Invalid principal in policy: "${type}":"${name}"`);
    switch (type) {
      case 'AWS':
        for (const name of names) {
          if (name === '*') set.any = true;
          else if (ACCOUNT_ID.test(name)) set.aws.push(`arn:aws:iam::${name}:root`);
          else if ((PRINCIPAL_ARN.test(name) && !/[*?]/.test(name)) || UNIQUE_ID.test(name)) set.aws.push(name);
          else invalid(name);
        }
        break;
      case 'Service':
        for (const name of names) if (!SERVICE.test(name)) invalid(name);
        set.service.push(...names);
        break;
      case 'Federated':
        set.federated.push(...names);
        break;
      case 'CanonicalUser':
        set.canonicalUser.push(...names);
        break;
      default:
        fail(where, `Invalid principal in policy: unknown principal type "${type}"`);
    }
  }
  return set;
}

function parseActions(value: unknown, where: string): string[] {
  const actions = stringList(value, where);
  for (const action of actions) {
    if (action !== '*' && !ACTION.test(action)) {
      fail(where, `"${action}" is not valid: actions must be "*" or prefaced by a service, e.g. "sqs:SendMessage"`);
    }
  }
  return actions;
}

function parseResources(value: unknown, where: string): string[] {
  const resources = stringList(value, where);
  for (const resource of resources) {
    if (resource !== '*' && !(resource.startsWith('arn:') && splitArn(resource))) {
      fail(where, `Resource ${resource} must be in ARN format or "*"`);
    }
  }
  return resources;
}

function parseConditions(value: unknown, where: string): ConditionClause[] {
  if (!isObject(value)) fail(where, 'must be an object of condition operators');
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value)) {
    const parsed = parseOperatorName(operator);
    if (!parsed) fail(where, `Invalid Condition type : ${operator}`);
    if (!isObject(block)) fail(`${where}.${operator}`, 'must be an object of condition keys');
    const family = OPERATORS[parsed.base].family;
    for (const [key, raw] of Object.entries(block)) {
      const at = `${where}.${operator}.${key}`;
      if (!/^[^:\s]+:\S+$/.test(key)) fail(at, 'condition keys must be prefaced by a service, e.g. "aws:SourceArn"');
      const list = Array.isArray(raw) ? raw : [raw];
      const values = list.map((v) => {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          fail(at, 'values must be strings, numbers or booleans');
        }
        return String(v);
      });
      for (const v of values) {
        const problem = policyValueProblem(family, v);
        if (problem) fail(at, `"${v}" ${problem}`);
      }
      clauses.push({ operator, ...parsed, key, values });
    }
  }
  return clauses;
}

function parseStatement(raw: unknown, where: string, options: ParseOptions): Statement {
  if (!isObject(raw)) fail(where, 'must be an object');
  for (const field of Object.keys(raw)) if (!STATEMENT_FIELDS.has(field)) fail(where, `unknown field "${field}"`);
  const has = (field: string): boolean => raw[field] !== undefined;
  if (raw.Sid !== undefined && typeof raw.Sid !== 'string') fail(`${where}.Sid`, 'must be a string');
  const sid = raw.Sid as string | undefined;
  if (options.kind === 'identity' && sid && !/^[A-Za-z0-9]+$/.test(sid)) {
    fail(`${where}.Sid`, 'Statement IDs (SID) must be alpha-numeric');
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') fail(`${where}.Effect`, 'must be "Allow" or "Deny"');

  if (has('Principal') && has('NotPrincipal')) fail(where, 'cannot have both Principal and NotPrincipal');
  if (options.kind === 'identity' && (has('Principal') || has('NotPrincipal'))) {
    fail(where, 'Policy document should not specify a principal');
  }
  if (options.kind === 'resource' && !has('Principal') && !has('NotPrincipal')) {
    fail(where, 'missing required field Principal');
  }
  if (has('Action') && has('NotAction')) fail(where, 'cannot have both Action and NotAction');
  if (!has('Action') && !has('NotAction')) fail(where, 'missing required field Action');
  if (has('Resource') && has('NotResource')) fail(where, 'cannot have both Resource and NotResource');
  if (options.kind === 'identity' && !has('Resource') && !has('NotResource')) {
    fail(where, 'missing required field Resource');
  }

  const statement: Statement = { effect: raw.Effect, conditions: [] };
  if (sid !== undefined) statement.sid = sid;
  if (has('Principal')) statement.principal = parsePrincipal(raw.Principal, `${where}.Principal`);
  if (has('NotPrincipal')) statement.notPrincipal = parsePrincipal(raw.NotPrincipal, `${where}.NotPrincipal`);
  if (has('Action')) statement.action = parseActions(raw.Action, `${where}.Action`);
  if (has('NotAction')) statement.notAction = parseActions(raw.NotAction, `${where}.NotAction`);
  if (has('Resource')) statement.resource = parseResources(raw.Resource, `${where}.Resource`);
  if (has('NotResource')) statement.notResource = parseResources(raw.NotResource, `${where}.NotResource`);
  if (has('Condition')) statement.conditions = parseConditions(raw.Condition, `${where}.Condition`);
  return statement;
}

/** Validates an already-decoded policy (e.g. from the YAML bootstrap file). */
export function parsePolicyObject(value: unknown, options: ParseOptions): PolicyDocument {
  if (!isObject(value)) fail('', 'Policy document must be a JSON object');
  for (const field of Object.keys(value)) if (!POLICY_FIELDS.has(field)) fail('', `unknown field "${field}" in policy`);
  let version: PolicyVersion = '2008-10-17';
  if (value.Version !== undefined) {
    if (!VERSIONS.includes(value.Version as PolicyVersion)) {
      fail('Version', `"${String(value.Version)}" is not valid; use "2012-10-17"`);
    }
    version = value.Version as PolicyVersion;
  }
  if (value.Id !== undefined && typeof value.Id !== 'string') fail('Id', 'must be a string');
  if (value.Statement === undefined) fail('', 'missing required field Statement');
  const list = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
  const statements = list.map((s, i) => parseStatement(s, `Statement[${i}]`, options));
  const sids = statements.map((s) => s.sid).filter((sid): sid is string => !!sid);
  const duplicate = sids.find((sid, i) => sids.indexOf(sid) !== i);
  if (duplicate) fail('', `Statement IDs (SID) in a single policy must be unique: "${duplicate}"`);
  const doc: PolicyDocument = { version, statements };
  if (typeof value.Id === 'string') doc.id = value.Id;
  return doc;
}

/** Parses policy JSON; throws PolicyError naming the offending element. Size limits are the caller's. */
export function parsePolicy(json: string, options: ParseOptions): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new PolicyError(`Syntax errors in policy: ${(error as Error).message}`);
  }
  return parsePolicyObject(value, options);
}
