import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DecryptCommand, EncryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { SecretSealer } from "../core/credentials";

/** Seals with a KMS key: what the deployed stack uses. */
export class KmsSealer implements SecretSealer {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async seal(plain: string): Promise<string> {
    const { CiphertextBlob } = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: Buffer.from(plain) }),
    );
    return Buffer.from(CiphertextBlob!).toString("base64");
  }

  async unseal(sealed: string): Promise<string> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ CiphertextBlob: Buffer.from(sealed, "base64"), KeyId: this.keyId }),
    );
    return Buffer.from(Plaintext!).toString("utf8");
  }
}

/** Seals with AES-256-GCM under a 32-byte master key: local mode (the key lives in the local data folder). */
export class AesGcmSealer implements SecretSealer {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.byteLength !== 32) throw new Error("The master key must be 32 bytes");
  }

  async seal(plain: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.masterKey, iv);
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  async unseal(sealed: string): Promise<string> {
    const raw = Buffer.from(sealed, "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.masterKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  }
}
