/** The IAM policy language: parse, match, conditions, evaluate, explain. Pure: no I/O, no clock. */
export * from './types.js';
export { PolicyError, parsePolicy, parsePolicyObject, type ParseOptions } from './parse.js';
export { evaluate, evaluateKeyPolicy, type KeyGrant, type KeyPolicySet, type PolicySet } from './evaluate.js';
export { explain, describeStatement } from './explain.js';
export { contextLookup, principalKeys, roleArnOf, type KeyLookup } from './context.js';
export { actionMatches, resourceMatches, principalSetMatch, notPrincipalApplies } from './match.js';
export { clauseHolds, conditionsHold } from './conditions.js';
export { arnMatches } from './arn.js';
