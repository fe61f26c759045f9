/**
 * `npm run keys -- <create|list|enable|disable|delete> [--name NAME]`: manages gateway credentials.
 *   Deployed stack: set TABLE_NAME and CREDENTIALS_KMS_KEY (the stack outputs) and AWS credentials.
 *   Local mode: works on FINOPS_DATA_DIR (default .finops-local), through the running gateway's emulator if any.
 * `create` prints the API key and the AWS key pair once; only a hash and a sealed secret are stored.
 */

import { parseArgs } from "node:util";
import { KMSClient } from "@aws-sdk/client-kms";
import { type CredentialStore, createCredential, type SecretSealer } from "../lambdas/core/credentials";
import { DynamoCredentialStore } from "../lambdas/state/dynamo-credential-store";
import { KmsSealer } from "../lambdas/state/sealers";
import { localSealer } from "./credentials";
import { openTable } from "./table";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: "string" } } });
const [command] = positionals;

const open = async (): Promise<{
  store: CredentialStore;
  sealer: SecretSealer;
  close: () => Promise<void>;
  where: string;
}> => {
  const table = await openTable();
  const sealer = table.dataDir
    ? await localSealer(table.dataDir)
    : new KmsSealer(new KMSClient({}), requiredEnv("CREDENTIALS_KMS_KEY"));
  return {
    store: new DynamoCredentialStore(table.dynamo, table.tableName),
    sealer,
    close: table.close,
    where: table.where,
  };
};

const requiredEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`Set ${name} (a stack output) to manage the deployed gateway's credentials.`);
  return value;
};

const requireName = (): string => {
  if (!values.name) throw new Error("Give the credential a --name.");
  return values.name;
};

const { store, sealer, close, where } = await open().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
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
