/** KMS aliases: Create/Update/Delete/ListAliases, the naming rules, `alias/aws/` reserved, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, Kms, kmsAs, kmsError, newKey, uniqueAlias, utf8 } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const kms = () => kmsAs(server.url);
const aliasArn = (name: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:${name}`;
const targetOf = async (alias: string) => (await kms().send(new Kms.DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.KeyId;

describe('alias lifecycle', () => {
  it('creates, lists, retargets and deletes aliases', async () => {
    const a = await newKey(kms());
    const b = await newKey(kms());
    const first = uniqueAlias('first');
    const second = uniqueAlias('second');
    // One key can have several aliases; the target can be given in any key form.
    await kms().send(new Kms.CreateAliasCommand({ AliasName: first, TargetKeyId: a.keyId }));
    await kms().send(new Kms.CreateAliasCommand({ AliasName: second, TargetKeyId: a.arn }));

    const listed = await kms().send(new Kms.ListAliasesCommand({}));
    expect(listed.Aliases).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ AliasName: first, AliasArn: aliasArn(first), TargetKeyId: a.keyId }),
        expect.objectContaining({ AliasName: second, AliasArn: aliasArn(second), TargetKeyId: a.keyId }),
      ]),
    );
    expect(listed.Aliases!.find((x) => x.AliasName === first)!.CreationDate).toBeInstanceOf(Date);
    const ofA = await kms().send(new Kms.ListAliasesCommand({ KeyId: a.arn }));
    expect(ofA.Aliases!.map((x) => x.AliasName).sort()).toEqual([first, second].sort());
    expect((await kms().send(new Kms.ListAliasesCommand({ KeyId: b.keyId }))).Aliases).toEqual([]);

    await kms().send(new Kms.UpdateAliasCommand({ AliasName: first, TargetKeyId: b.keyId }));
    expect(await targetOf(first)).toBe(b.keyId);
    expect((await kms().send(new Kms.EncryptCommand({ KeyId: first, Plaintext: utf8('x') }))).KeyId).toBe(b.arn);
    expect((await kms().send(new Kms.ListAliasesCommand({ KeyId: a.keyId }))).Aliases!.map((x) => x.AliasName)).toEqual([second]);

    await kms().send(new Kms.DeleteAliasCommand({ AliasName: first }));
    expect(await kmsError(kms().send(new Kms.DescribeKeyCommand({ KeyId: first })))).toEqual({
      name: 'NotFoundException',
      status: 400,
      message: `Alias ${aliasArn(first)} is not found.`,
    });
    expect((await kms().send(new Kms.ListAliasesCommand({}))).Aliases!.map((x) => x.AliasName)).not.toContain(first);
    // The key itself is untouched.
    expect((await kms().send(new Kms.DescribeKeyCommand({ KeyId: b.keyId }))).KeyMetadata!.KeyState).toBe('Enabled');
  });
});

describe('alias names', () => {
  it('must be alias/ followed by 1 to 250 of [a-zA-Z0-9/_-] (ValidationException otherwise)', async () => {
    const key = await newKey(kms());
    for (const bad of ['no-prefix', 'alias/', 'alias/has space', 'alias/dot.ted', 'alias/colon:x', `alias/${'a'.repeat(251)}`]) {
      const error = await kmsError(kms().send(new Kms.CreateAliasCommand({ AliasName: bad, TargetKeyId: key.keyId })));
      expect({ bad, ...error }).toMatchObject({ bad, name: 'ValidationException', status: 400 });
    }
    for (const good of [`alias/${'a'.repeat(250)}`, `alias/Team_1/app-${Date.now()}`]) {
      await kms().send(new Kms.CreateAliasCommand({ AliasName: good, TargetKeyId: key.keyId }));
      expect(await targetOf(good)).toBe(key.keyId);
    }
  });

  it('reserves alias/aws/ for AWS managed keys (InvalidAliasNameException)', async () => {
    const key = await newKey(kms());
    for (const reserved of ['alias/aws/mine', 'alias/aws/sqs']) {
      expect(await kmsError(kms().send(new Kms.CreateAliasCommand({ AliasName: reserved, TargetKeyId: key.keyId })))).toMatchObject({
        name: 'InvalidAliasNameException',
        status: 400,
      });
    }
    const mine = uniqueAlias('mine');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: mine, TargetKeyId: key.keyId }));
    expect(await kmsError(kms().send(new Kms.UpdateAliasCommand({ AliasName: 'alias/aws/sqs', TargetKeyId: key.keyId })))).toMatchObject({
      name: 'InvalidAliasNameException',
      status: 400,
    });
  });
});

describe('alias errors', () => {
  it('refuses a second alias with the same name (AlreadyExistsException), whatever its target', async () => {
    const a = await newKey(kms());
    const b = await newKey(kms());
    const name = uniqueAlias('dup');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: name, TargetKeyId: a.keyId }));
    expect(await kmsError(kms().send(new Kms.CreateAliasCommand({ AliasName: name, TargetKeyId: b.keyId })))).toEqual({
      name: 'AlreadyExistsException',
      status: 400,
      message: `An alias with the name ${aliasArn(name)} already exists`,
    });
    expect(await targetOf(name)).toBe(a.keyId);
  });

  it('answers NotFoundException for an unknown alias or target key', async () => {
    const key = await newKey(kms());
    const ghost = uniqueAlias('ghost');
    const notFound = { name: 'NotFoundException', status: 400, message: `Alias ${aliasArn(ghost)} is not found.` };
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: ghost, Plaintext: utf8('x') })))).toEqual(notFound);
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: aliasArn(ghost), Plaintext: utf8('x') })))).toEqual(notFound);
    expect(await kmsError(kms().send(new Kms.UpdateAliasCommand({ AliasName: ghost, TargetKeyId: key.keyId })))).toEqual(notFound);
    expect(await kmsError(kms().send(new Kms.DeleteAliasCommand({ AliasName: ghost })))).toEqual(notFound);
    const missingKey = '99999999-8888-7777-6666-555555555555';
    expect(await kmsError(kms().send(new Kms.CreateAliasCommand({ AliasName: ghost, TargetKeyId: missingKey })))).toEqual({
      name: 'NotFoundException',
      status: 400,
      message: `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${missingKey}' does not exist`,
    });
  });

  it('cannot point a new alias at a key pending deletion, but can delete its aliases', async () => {
    const key = await newKey(kms());
    const existing = uniqueAlias('existing');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: existing, TargetKeyId: key.keyId }));
    await kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 7 }));
    const pending = { name: 'KMSInvalidStateException', status: 400, message: `${key.arn} is pending deletion.` };
    expect(await kmsError(kms().send(new Kms.CreateAliasCommand({ AliasName: uniqueAlias('late'), TargetKeyId: key.keyId })))).toEqual(pending);
    expect((await kms().send(new Kms.ListAliasesCommand({ KeyId: key.keyId }))).Aliases!.map((a) => a.AliasName)).toEqual([existing]);
    await kms().send(new Kms.DeleteAliasCommand({ AliasName: existing }));
    expect((await kms().send(new Kms.ListAliasesCommand({ KeyId: key.keyId }))).Aliases).toEqual([]);
  });
});
