import { createPrivateKey, sign, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { IdentityStore } from '../../storage/ports.js';
import { sealMaterial, unsealMaterial } from '../kms/crypto.js';

const SEAL_ID = 'arn:sealq:sns-signing-key';

/** What SNS signs: the notification fields in this order (AWS's canonical string for Notification). */
export interface SignedFields {
  Message: string;
  MessageId: string;
  Subject?: string;
  Timestamp: string;
  TopicArn: string;
  Type: 'Notification';
}

/**
 * The key and certificate sealq signs SNS notifications with, as SNS does (SignatureVersion 1:
 * SHA1withRSA, 2: SHA256withRSA). Made once, kept sealed under the root key, so the certificate
 * served at SigningCertURL stays the same across restarts.
 */
export class SnsSigner {
  private readonly key: KeyObject;

  private constructor(
    keyPem: string,
    readonly certificatePem: string,
  ) {
    this.key = createPrivateKey(keyPem);
  }

  static async load(store: IdentityStore, rootKey: Buffer): Promise<SnsSigner> {
    const open = (value: unknown) => {
      const { sealed, certificate } = value as { sealed: string; certificate: string };
      return new SnsSigner(unsealMaterial(rootKey, sealed, SEAL_ID, 1).toString('utf8'), certificate);
    };
    const stored = await store.getEntity('sns-signing', 'default');
    if (stored) return open(stored.value);
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = new Date();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: Date.now().toString(16),
      name: 'CN=sns.amazonaws.com, O=sealq',
      notBefore: now,
      notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
      signingAlgorithm: algorithm,
      keys,
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
    const certificatePem = certificate.toString('pem');
    // Nodes sharing a database may make one each at the same moment: all sign with the first stored.
    const winner = await store.putEntityIfAbsent({
      kind: 'sns-signing',
      id: 'default',
      accountId: '',
      value: { sealed: sealMaterial(rootKey, Buffer.from(keyPem), SEAL_ID, 1), certificate: certificatePem },
    });
    return open(winner.value);
  }

  /** The base64 signature of a notification, by AWS's canonical string for its fields. */
  sign(fields: SignedFields, version: '1' | '2'): string {
    let text = `Message\n${fields.Message}\nMessageId\n${fields.MessageId}\n`;
    if (fields.Subject !== undefined) text += `Subject\n${fields.Subject}\n`;
    text += `Timestamp\n${fields.Timestamp}\nTopicArn\n${fields.TopicArn}\nType\n${fields.Type}\n`;
    return sign(version === '2' ? 'sha256' : 'sha1', Buffer.from(text, 'utf8'), this.key).toString('base64');
  }
}
