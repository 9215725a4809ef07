import type { Config } from '../config/config.js';
import type { Clock } from '../shared/clock.js';
import type { IdentityStore } from '../storage/ports.js';
import { Authenticator } from '../auth/authenticate.js';
import { PolicyAuthorizer } from './authz/policy-authorizer.js';
import { applyBootstrap, rootKey } from './iam/bootstrap.js';
import { IamService } from './iam/iam-service.js';
import { IdentityDirectory } from './iam/identity-directory.js';
import { rootCredentials, type RootCredentials } from './iam/root-credentials.js';
import { StsService } from './sts/sts-service.js';
import { checkRootKey, loadRootKey, sealMaterial, unsealMaterial, type RootKey } from './kms/crypto.js';
import { KeyAuthorizer } from './kms/key-access.js';
import { KeyDirectory } from './kms/keys.js';
import { KmsService } from './kms/kms-service.js';
import { KmsAuditLog } from './kms/metering.js';

/** Everything that answers "who is this, and may they?": built once at start. */
export interface Identity {
  directory: IdentityDirectory;
  kms: KmsService;
  /** The KMS keys and aliases in memory (the cluster feed updates them). */
  keys: KeyDirectory;
  kmsAudit: KmsAuditLog;
  rootKey: RootKey;
  authenticator: Authenticator;
  authorizer: PolicyAuthorizer;
  iam: IamService;
  sts: StsService;
  root: RootCredentials;
  /** Re-reads every identity document and KMS key (the cluster feed was interrupted). */
  reload(): Promise<void>;
}

export async function startIdentity(config: Config, store: IdentityStore, clock: Clock): Promise<Identity> {
  const kmsRootKey = loadRootKey({ base64: config.rootKey, file: config.rootKeyFile, dataDir: config.dataDir });
  await checkRootKey(store, kmsRootKey.key);
  // IAM secrets and session secrets are stored sealed under the root key: a verifier needs the
  // secret itself, but the disk never holds it in clear.
  const directory = new IdentityDirectory(store, clock, {
    seal: (secret, id) => sealMaterial(kmsRootKey.key, Buffer.from(secret, 'utf8'), `arn:sealq:secret/${id}`, 1),
    open: (sealed, id) => unsealMaterial(kmsRootKey.key, sealed, `arn:sealq:secret/${id}`, 1).toString('utf8'),
  });
  await directory.load();
  const now = clock.now();
  if (!directory.accounts.has(config.accountId)) await directory.saveAccount({ accountId: config.accountId, createdAt: now });
  const root = rootCredentials(config.dataDir, {
    accessKeyId: config.rootAccessKeyId,
    secretAccessKey: config.rootSecretAccessKey,
  });
  // Root keys live in memory only: their source of truth is the configuration or the key file.
  const rememberRoot = () =>
    directory.keys.set(root.accessKeyId, rootKey(config.accountId, root.accessKeyId, root.secretAccessKey, now));
  rememberRoot();
  await applyBootstrap(directory, config.accounts);
  const authorizer = new PolicyAuthorizer(directory, clock);
  const keys = new KeyDirectory(store);
  await keys.load();
  const kms = new KmsService(keys, new KeyAuthorizer(directory, clock), kmsRootKey.key, clock, config.region);
  kms.requestsPerSecond = config.kmsRequestsPerSecond;
  await kms.prepareOwnedKey();
  const kmsAudit = new KmsAuditLog(store, clock);
  kms.onCall = (record) => kmsAudit.record(record);
  return {
    directory,
    kms,
    keys,
    kmsAudit,
    rootKey: kmsRootKey,
    authenticator: new Authenticator(directory, config.auth, config.accountId),
    authorizer,
    iam: new IamService(directory),
    sts: new StsService(directory, authorizer),
    root,
    reload: async () => {
      await directory.load();
      rememberRoot();
      await keys.load();
    },
  };
}
