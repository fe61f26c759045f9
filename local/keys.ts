/**
 * `npm run keys -- <create|list|enable|disable|delete> [--name NAME]`: manages gateway credentials.
 *   Deployed stack: set TABLE_NAME and CREDENTIALS_KMS_KEY (the stack outputs) and AWS credentials.
 *   Local mode: works on FINOPS_DATA_DIR (default .finops-local), through the running gateway's emulator if any.
 * `create` prints the API key and the AWS key pair once; only a hash and a sealed secret are stored.
 */

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { type CredentialStore, createCredential, type SecretSealer } from "../lambdas/core/credentials";
import { DynamoCredentialStore } from "../lambdas/state/dynamo-credential-store";
import { KmsSealer } from "../lambdas/state/sealers";
import { localCredentialStore, localSealer } from "./credentials";
import { localDynamoClient, startEmulators } from "./emulators";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: "string" } } });
const [command] = positionals;

const open = async (): Promise<{
  store: CredentialStore;
  sealer: SecretSealer;
  close: () => Promise<void>;
  where: string;
}> => {
  if (process.env.TABLE_NAME && process.env.CREDENTIALS_KMS_KEY) {
    return {
      store: new DynamoCredentialStore(new DynamoDBClient({}), process.env.TABLE_NAME),
      sealer: new KmsSealer(new KMSClient({}), process.env.CREDENTIALS_KMS_KEY),
      close: async () => undefined,
      where: `table ${process.env.TABLE_NAME}`,
    };
  }
  const dataDir = resolve(process.env.FINOPS_DATA_DIR ?? ".finops-local");
  const sealer = await localSealer(dataDir);
  const endpoints = join(dataDir, "endpoints.json");
  if (existsSync(endpoints)) {
    const { dynamodb } = JSON.parse(readFileSync(endpoints, "utf8")) as { dynamodb: string };
    return {
      store: localCredentialStore(localDynamoClient(dynamodb)),
      sealer,
      close: async () => undefined,
      where: `the running local gateway (${dataDir})`,
    };
  }
  const emulators = await startEmulators(dataDir);
  return {
    store: localCredentialStore(emulators.dynamo),
    sealer,
    close: () => emulators.close(),
    where: `local state in ${dataDir}`,
  };
};

const requireName = (): string => {
  if (!values.name) throw new Error("Give the credential a --name.");
  return values.name;
};

const { store, sealer, close, where } = await open();
try {
  switch (command) {
    case "create": {
      const created = await createCredential(store, sealer, requireName());
      console.log(`Created credential ${created.record.name} in ${where}. These secrets are shown once:
  API key (OpenAI, Anthropic, GenAI SDKs):  ${created.apiKey}
  AWS access key id (S3, Bedrock SDKs):      ${created.record.accessKeyId}
  AWS secret access key:                     ${created.secretAccessKey}`);
      break;
    }
    case "list":
      for (const r of await store.list())
        console.log(`${r.name}\t${r.status}\t${r.accessKeyId}\t${new Date(r.createdAt).toISOString()}`);
      break;
    case "enable":
    case "disable":
      if (!(await store.setStatus(requireName(), command === "enable" ? "enabled" : "disabled")))
        throw new Error(`No credential named ${values.name}.`);
      console.log(`${values.name} ${command}d.`);
      break;
    case "delete":
      if (!(await store.delete(requireName()))) throw new Error(`No credential named ${values.name}.`);
      console.log(`${values.name} deleted.`);
      break;
    default:
      throw new Error("Usage: npm run keys -- <create|list|enable|disable|delete> [--name NAME]");
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await close();
}
