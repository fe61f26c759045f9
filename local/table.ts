import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { localDynamoClient, localNames, startEmulators } from "./emulators";

/**
 * The gateway's table for the owner's commands (`keys`, `costs`): the deployed one when TABLE_NAME is set (with AWS
 * credentials), else the local state in FINOPS_DATA_DIR (default .finops-local) — through the running gateway's
 * emulator when there is one (LevelDB allows one process), or an emulator of its own.
 */
export const openTable = async (): Promise<{
  dynamo: DynamoDBClient;
  tableName: string;
  dataDir?: string;
  where: string;
  close: () => Promise<void>;
}> => {
  if (process.env.TABLE_NAME) {
    return {
      dynamo: new DynamoDBClient({}),
      tableName: process.env.TABLE_NAME,
      where: `table ${process.env.TABLE_NAME}`,
      close: async () => undefined,
    };
  }
  const dataDir = resolve(process.env.FINOPS_DATA_DIR ?? ".finops-local");
  const endpoints = join(dataDir, "endpoints.json");
  if (existsSync(endpoints)) {
    const { dynamodb } = JSON.parse(readFileSync(endpoints, "utf8")) as { dynamodb: string };
    return {
      dynamo: localDynamoClient(dynamodb),
      tableName: localNames.table,
      dataDir,
      where: `the running local gateway (${dataDir})`,
      close: async () => undefined,
    };
  }
  const emulators = await startEmulators(dataDir);
  return {
    dynamo: emulators.dynamo,
    tableName: localNames.table,
    dataDir,
    where: `local state in ${dataDir}`,
    close: () => emulators.close(),
  };
};
