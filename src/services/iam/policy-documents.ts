import { PolicyError, parsePolicy } from '../../policy/index.js';
import { iamErrors } from './errors.js';

/** AWS: IAM counts a policy's size without whitespace. */
const MAX_POLICY_CHARS = 10_240;

/**
 * Validates a policy document sent to IAM and returns it as stored. Problems answer
 * MalformedPolicyDocument with the policy engine's reason.
 */
export function checkPolicyDocument(document: string | undefined, kind: 'identity' | 'resource'): string {
  if (typeof document !== 'string' || document.trim() === '') {
    throw iamErrors.malformedPolicyDocument('Syntax errors in policy.');
  }
  if (document.replace(/\s/g, '').length > MAX_POLICY_CHARS) {
    throw iamErrors.limitExceeded(`Cannot exceed quota for PolicySize: ${MAX_POLICY_CHARS}`);
  }
  try {
    parsePolicy(document, { kind });
  } catch (error) {
    if (error instanceof PolicyError) throw iamErrors.malformedPolicyDocument(error.message);
    throw error;
  }
  return document;
}
