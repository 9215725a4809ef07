/** Policy validation errors and the normalised form parsing produces. */
import { describe, expect, it } from 'vitest';
import { PolicyError, parsePolicy, parsePolicyObject, type ParseOptions } from './parse.js';

const identity: ParseOptions = { kind: 'identity' };
const resource: ParseOptions = { kind: 'resource' };
const v = '2012-10-17';
const allow = { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };
const granting = { ...allow, Principal: { AWS: '111122223333' } };

type Row = [string, unknown, ParseOptions, RegExp];

const rejected: Row[] = [
  ['a non-object document', [], identity, /must be a JSON object/],
  ['an unknown top-level field', { Version: v, Statement: allow, Extra: 1 }, identity, /unknown field "Extra"/],
  ['an unknown Version', { Version: '2012-10-18', Statement: allow }, identity, /Version.*"2012-10-18" is not valid/],
  ['a numeric Version', { Version: 2012, Statement: allow }, identity, /Version/],
  ['a missing Statement', { Version: v }, identity, /missing required field Statement/],
  ['a non-object statement', { Version: v, Statement: ['x'] }, identity, /Statement\[0\]: must be an object/],
  ['an unknown statement field', { Version: v, Statement: { ...allow, Actions: 'x' } }, identity, /unknown field "Actions"/],
  ['a lowercase Effect', { Version: v, Statement: { ...allow, Effect: 'allow' } }, identity, /Effect: must be "Allow" or "Deny"/],
  ['a missing Effect', { Version: v, Statement: { Action: '*', Resource: '*' } }, identity, /Effect/],
  ['both Action and NotAction', { Version: v, Statement: { ...allow, NotAction: 'sqs:*' } }, identity, /both Action and NotAction/],
  ['neither Action nor NotAction', { Version: v, Statement: { Effect: 'Allow', Resource: '*' } }, identity, /missing required field Action/],
  ['an action without a service', { Version: v, Statement: { ...allow, Action: 'SendMessage' } }, identity, /prefaced by a service/],
  ['an empty action list', { Version: v, Statement: { ...allow, Action: [] } }, identity, /must not be an empty list/],
  ['a non-string action', { Version: v, Statement: { ...allow, Action: [1] } }, identity, /list of strings/],
  ['both Resource and NotResource', { Version: v, Statement: { ...allow, NotResource: '*' } }, identity, /both Resource and NotResource/],
  ['an identity statement without Resource', { Version: v, Statement: { Effect: 'Allow', Action: '*' } }, identity, /missing required field Resource/],
  ['a resource that is not an ARN', { Version: v, Statement: { ...allow, Resource: 'orders' } }, identity, /Resource orders must be in ARN format/],
  ['a resource ARN with too few parts', { Version: v, Statement: { ...allow, Resource: 'arn:aws:sqs:*' } }, identity, /must be in ARN format/],
  ['a Principal in an identity policy', { Version: v, Statement: granting }, identity, /should not specify a principal/],
  ['a NotPrincipal in an identity policy', { Version: v, Statement: { ...allow, NotPrincipal: '*' } }, identity, /should not specify a principal/],
  ['a resource statement without Principal', { Version: v, Statement: allow }, resource, /missing required field Principal/],
  ['both Principal and NotPrincipal', { Version: v, Statement: { ...granting, NotPrincipal: '*' } }, resource, /both Principal and NotPrincipal/],
  ['a Principal that is a bare account id string', { Version: v, Statement: { ...allow, Principal: '111122223333' } }, resource, /Principal: must be "\*"/],
  ['an unknown principal type', { Version: v, Statement: { ...allow, Principal: { Group: 'x' } } }, resource, /unknown principal type "Group"/],
  ['a malformed account id', { Version: v, Statement: { ...allow, Principal: { AWS: '1234' } } }, resource, /Invalid principal in policy: "AWS":"1234"/],
  ['a wildcard inside a principal ARN', { Version: v, Statement: { ...allow, Principal: { AWS: 'arn:aws:iam::111122223333:user/*' } } }, resource, /Invalid principal/],
  ['an assumed-role principal without a session', { Version: v, Statement: { ...allow, Principal: { AWS: 'arn:aws:sts::111122223333:assumed-role/R' } } }, resource, /Invalid principal/],
  ['a service principal with spaces', { Version: v, Statement: { ...allow, Principal: { Service: 'sns amazonaws' } } }, resource, /Invalid principal/],
  ['an unknown condition operator', { Version: v, Statement: { ...allow, Condition: { StringEqualz: { 'aws:a': 'x' } } } }, identity, /Invalid Condition type : StringEqualz/],
  ['an unknown set qualifier', { Version: v, Statement: { ...allow, Condition: { 'ForSomeValues:StringEquals': { 'aws:a': 'x' } } } }, identity, /Invalid Condition type/],
  ['NullIfExists', { Version: v, Statement: { ...allow, Condition: { NullIfExists: { 'aws:a': 'true' } } } }, identity, /Invalid Condition type : NullIfExists/],
  ['a condition key without a service', { Version: v, Statement: { ...allow, Condition: { StringEquals: { SourceIp: 'x' } } } }, identity, /prefaced by a service/],
  ['a condition block that is not an object', { Version: v, Statement: { ...allow, Condition: { StringEquals: 'x' } } }, identity, /must be an object of condition keys/],
  ['an object condition value', { Version: v, Statement: { ...allow, Condition: { StringEquals: { 'aws:a': { b: 1 } } } } }, identity, /strings, numbers or booleans/],
  ['a non-numeric Numeric value', { Version: v, Statement: { ...allow, Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } } }, identity, /"ten" is not a number/],
  ['a bad Date value', { Version: v, Statement: { ...allow, Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } } }, identity, /not an ISO 8601 date/],
  ['a bad Bool value', { Version: v, Statement: { ...allow, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } } }, identity, /must be 'true' or 'false'/],
  ['a bad Null value', { Version: v, Statement: { ...allow, Condition: { Null: { 'aws:a': 'maybe' } } } }, identity, /must be 'true' or 'false'/],
  ['a bad IP block', { Version: v, Statement: { ...allow, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } } }, identity, /not an IP address or CIDR block/],
  ['a bad base64 value', { Version: v, Statement: { ...allow, Condition: { BinaryEquals: { 'sqs:b': '***' } } } }, identity, /not base64/],
  ['a non-alphanumeric Sid in an IAM policy', { Version: v, Statement: { ...allow, Sid: 'allow sends' } }, identity, /alpha-numeric/],
  ['duplicate Sids', { Version: v, Statement: [{ ...allow, Sid: 'A' }, { ...allow, Sid: 'A' }] }, identity, /must be unique: "A"/],
  ['a non-string Sid', { Version: v, Statement: { ...allow, Sid: 1 } }, identity, /Sid: must be a string/],
];

describe('parsePolicy rejects what AWS rejects', () => {
  it.each(rejected)('%s', (_name, value, options, message) => {
    expect(() => parsePolicyObject(value, options)).toThrow(PolicyError);
    expect(() => parsePolicyObject(value, options)).toThrow(message);
  });

  it('reports JSON syntax errors', () => {
    expect(() => parsePolicy('{"Version":', identity)).toThrow(/Syntax errors in policy/);
  });

  it('names where the problem is', () => {
    const json = JSON.stringify({ Version: v, Statement: [allow, { ...allow, Action: 'bad' }] });
    expect(() => parsePolicy(json, identity)).toThrow(/^Statement\[1\]\.Action: "bad" is not valid/);
  });
});

describe('parsePolicy normalises', () => {
  it('a single statement object into a list, with arrays everywhere', () => {
    const doc = parsePolicy(JSON.stringify({ Version: v, Id: 'p1', Statement: allow }), identity);
    expect(doc).toEqual({
      version: v,
      id: 'p1',
      statements: [{ effect: 'Allow', action: ['sqs:SendMessage'], resource: ['*'], conditions: [] }],
    });
  });

  it('a missing Version to 2008-10-17 (no policy variables)', () => {
    expect(parsePolicyObject({ Statement: allow }, identity).version).toBe('2008-10-17');
  });

  it('principals: account ids to root ARNs, "*" and {"AWS": "*"} to everyone', () => {
    const doc = parsePolicyObject(
      {
        Version: v,
        Statement: [
          { ...allow, Principal: { AWS: ['111122223333', 'arn:aws:iam::444455556666:user/bob'], Service: 'sns.amazonaws.com' } },
          { ...allow, Principal: '*' },
          { ...allow, Principal: { AWS: '*' } },
          { ...allow, NotPrincipal: { AWS: 'arn:aws:sts::111122223333:assumed-role/R/s' } },
        ],
      },
      resource,
    );
    expect(doc.statements[0].principal).toEqual({
      any: false,
      aws: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:user/bob'],
      service: ['sns.amazonaws.com'],
      federated: [],
      canonicalUser: [],
    });
    expect(doc.statements[1].principal?.any).toBe(true);
    expect(doc.statements[2].principal?.any).toBe(true);
    expect(doc.statements[3].notPrincipal?.aws).toEqual(['arn:aws:sts::111122223333:assumed-role/R/s']);
  });

  it('conditions into clauses, keeping the operator as written and values as strings', () => {
    const doc = parsePolicyObject(
      {
        Version: v,
        Statement: {
          ...allow,
          Condition: {
            'ForAllValues:StringLikeIfExists': { 'aws:TagKeys': ['a*', 'b'] },
            NumericLessThan: { 's3:max-keys': 10 },
            Bool: { 'aws:SecureTransport': false },
          },
        },
      },
      identity,
    );
    expect(doc.statements[0].conditions).toEqual([
      { operator: 'ForAllValues:StringLikeIfExists', base: 'StringLike', ifExists: true, qualifier: 'ForAllValues', key: 'aws:TagKeys', values: ['a*', 'b'] },
      { operator: 'NumericLessThan', base: 'NumericLessThan', ifExists: false, qualifier: undefined, key: 's3:max-keys', values: ['10'] },
      { operator: 'Bool', base: 'Bool', ifExists: false, qualifier: undefined, key: 'aws:SecureTransport', values: ['false'] },
    ]);
  });

  it('accepts what AWS resource policies use', () => {
    const keyPolicy = {
      Version: v,
      Id: 'key-default-1',
      Statement: [
        { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
      ],
    };
    expect(parsePolicyObject(keyPolicy, resource).statements[0].sid).toBe('Enable IAM User Permissions');
    // SNS-style statement without Resource: it applies to the resource the policy is attached to.
    const topic = { Version: v, Statement: { Effect: 'Allow', Principal: { AWS: '999999999999' }, Action: 'sns:*' } };
    expect(parsePolicyObject(topic, resource).statements[0].resource).toBeUndefined();
    // Actions written by SQS AddPermission, unique ids of deleted principals, federated principals.
    const queue = {
      Version: v,
      Statement: {
        Effect: 'Allow',
        Principal: { AWS: ['AIDAJQABLZS4A3QDU576Q'], Federated: 'cognito-identity.amazonaws.com' },
        Action: ['SQS:SendMessage', 'sqs:Receive*', '*'],
        Resource: 'arn:aws:sqs:us-east-1:111122223333:orders',
      },
    };
    expect(parsePolicyObject(queue, resource).statements[0].action).toEqual(['SQS:SendMessage', 'sqs:Receive*', '*']);
    // An empty statement list (a queue whose last permission was removed).
    expect(parsePolicyObject({ Version: v, Statement: [] }, resource).statements).toEqual([]);
  });
});
