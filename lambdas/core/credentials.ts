import { createHash, randomBytes } from "node:crypto";
import { newId } from "./ids";

/** A gateway credential: one API key (OpenAI, Anthropic, GenAI SDKs) and one AWS key pair (AWS SDKs), one tenant. */
export interface CredentialRecord {
  name: string;
  tenant: string;
  status: "enabled" | "disabled";
  createdAt: number;
  /** SHA-256 of the API key; the key itself is shown once at creation and never stored. */
  apiKeyHash: string;
  accessKeyId: string;
  /** The AWS secret, sealed (KMS in AWS, AES-GCM with a local master key locally): SigV4 needs it to verify. */
  sealedSecret: string;
}

/** What creating a credential hands back, the only time the secrets are shown. */
export interface NewCredential {
  record: CredentialRecord;
  apiKey: string;
  secretAccessKey: string;
}

/** Seals and unseals the AWS secrets (never stored or logged in clear). */
export interface SecretSealer {
  seal(plain: string): Promise<string>;
  unseal(sealed: string): Promise<string>;
}

/** Where credentials live; lookups are by the hash of an API key or by an access key id. */
export interface CredentialStore {
  put(record: CredentialRecord): Promise<void>;
  byApiKeyHash(hash: string): Promise<CredentialRecord | undefined>;
  byAccessKeyId(accessKeyId: string): Promise<CredentialRecord | undefined>;
  byName(name: string): Promise<CredentialRecord | undefined>;
  list(): Promise<CredentialRecord[]>;
  setStatus(name: string, status: CredentialRecord["status"]): Promise<boolean>;
  delete(name: string): Promise<boolean>;
}

/** Each tenant's credential name (FOCUS `SubAccountName`, the costs report's rows). */
export const credentialNames = async (store: CredentialStore): Promise<Map<string, string>> =>
  new Map((await store.list()).map((credential) => [credential.tenant, credential.name]));

export const hashApiKey = (key: string): string => createHash("sha256").update(key).digest("hex");

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const token = (length: number, alphabet: string): string =>
  [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join("");

/** Makes a new credential: a `fops-…` API key, an `FOPS…` access key id and a 40-character secret. */
export const createCredential = async (
  store: CredentialStore,
  sealer: SecretSealer,
  name: string,
  now = Date.now(),
): Promise<NewCredential> => {
  if (!/^[a-zA-Z0-9_.-]{1,64}$/.test(name))
    throw new Error("A credential name is 1–64 letters, digits, '_', '.' or '-'.");
  if (await store.byName(name)) throw new Error(`A credential named ${name} already exists.`);
  const apiKey = `fops-${randomBytes(24).toString("base64url")}`;
  const secretAccessKey = randomBytes(30).toString("base64").slice(0, 40);
  const record: CredentialRecord = {
    name,
    tenant: `t${newId()}`,
    status: "enabled",
    createdAt: now,
    apiKeyHash: hashApiKey(apiKey),
    accessKeyId: `FOPS${token(16, alphanumeric)}`,
    sealedSecret: await sealer.seal(secretAccessKey),
  };
  await store.put(record);
  return { record, apiKey, secretAccessKey };
};
