import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoCredentialStore } from "../lambdas/state/dynamo-credential-store";
import { AesGcmSealer } from "../lambdas/state/sealers";
import { localNames } from "./emulators";

/** The local sealer's master key: 32 random bytes kept in the data folder (created on first use, mode 0600). */
export const localSealer = async (dataDir: string): Promise<AesGcmSealer> => {
  const path = join(dataDir, "master.key");
  if (!existsSync(path)) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, randomBytes(32), { mode: 0o600 });
  }
  return new AesGcmSealer(await readFile(path));
};

/** The credential store of local mode, in the emulated table. */
export const localCredentialStore = (dynamo: DynamoDBClient) => new DynamoCredentialStore(dynamo, localNames.table);
