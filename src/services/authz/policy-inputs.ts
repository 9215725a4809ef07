import { parsePolicy, type NamedPolicy, type PolicyDocument, type RequestPrincipal } from '../../policy/index.js';
import type { Principal } from '../iam/entities.js';

/** The policy engine's view of a sealq principal. */
export function requestPrincipal(p: Principal): RequestPrincipal {
  if (p.type === 'Service') return { type: 'Service', arn: '', accountId: '', serviceName: p.serviceName };
  return {
    type: p.type,
    arn: p.arn,
    accountId: p.accountId,
    userId: p.userId,
    roleArn: p.type === 'AssumedRole' ? p.principalArn : undefined,
  };
}

/**
 * Parsed policy documents, cached by their text: the same few policies decide every request, and
 * parsing is most of the cost of a decision.
 */
export class PolicyCache {
  private readonly parsed = new Map<string, PolicyDocument>();

  /** Undefined for a stored document that no longer parses: it grants nothing. */
  parse(document: string, kind: 'identity' | 'resource'): PolicyDocument | undefined {
    const id = `${kind}\u0000${document}`;
    let doc = this.parsed.get(id);
    if (!doc) {
      try {
        doc = parsePolicy(document, { kind });
      } catch {
        return undefined;
      }
      if (this.parsed.size > 10_000) this.parsed.clear();
      this.parsed.set(id, doc);
    }
    return doc;
  }

  named(policies: Array<{ name: string; document: string }>, kind: 'identity' | 'resource'): NamedPolicy[] {
    const out: NamedPolicy[] = [];
    for (const { name, document } of policies) {
      const doc = this.parse(document, kind);
      if (doc) out.push({ name, document: doc });
    }
    return out;
  }
}
