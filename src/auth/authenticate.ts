/** Who is calling: verifies the request's SigV4 signature and maps its access key to a principal. */
import type { Principal } from '../services/iam/entities.js';
import { rootPrincipal, type IdentityDirectory } from '../services/iam/identity-directory.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { authErrors } from './auth-errors.js';
import { readSignedRequest, verifySignedRequest, type SignedHttpRequest } from './sigv4.js';

export type AuthMode = 'enforce' | 'permissive';

export interface Caller {
  principal: Principal;
  /** From the signature's credential scope. */
  region: string;
  service: string;
}

export class Authenticator {
  constructor(
    private readonly directory: IdentityDirectory,
    private readonly mode: AuthMode,
    private readonly defaultAccountId: string,
    /**
     * Signatures carry the client's wall-clock time, so the 15-minute skew check reads the real
     * clock even when the service clock is injected (tests move that one by days).
     */
    private readonly wallClock: Clock = systemClock,
  ) {}

  /**
   * enforce: the signature must verify against a known, active key (or live session).
   * permissive (test rigs): any well-formed signature is accepted; a known key still names its
   * principal, any other key is the default account's root user.
   */
  authenticate(request: SignedHttpRequest, now: number): Caller {
    if (this.mode === 'permissive') {
      const signed = readSignedRequest(request, { now: this.wallClock.now(), maxSkewMs: Number.MAX_SAFE_INTEGER });
      const principal = this.directory.principalFor(signed.accessKeyId) ?? rootPrincipal(this.defaultAccountId);
      return { principal, region: signed.region, service: signed.service };
    }
    const signed = readSignedRequest(request, { now: this.wallClock.now() });
    // Session expiry is service time: AssumeRole set it from the service clock.
    const verified = verifySignedRequest(signed, this.directory.credentials(signed.accessKeyId), { now });
    const principal = this.directory.principalFor(verified.accessKeyId);
    // A key whose user was deleted in the meantime is as good as unknown.
    if (!principal) throw authErrors.invalidClientTokenId('unknown-access-key');
    return { principal, region: verified.region, service: verified.service };
  }
}
