import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { localDynamoClient, localNames, startEmulators } from "./emulators";

/** What the owner's commands need of a deployed stack, read from its outputs. */
export interface StackOutputs {
  region: string;
  tableName: string;
  credentialsKmsKey: string;
}

/**
 * A deployed gateway stack's table and key, from its outputs (`TableName`, `CredentialsKmsKey`), in the stack's own
 * region: `--stack FinOpsGateway` finds it with the usual AWS credentials and region (AWS_REGION or the profile's).
 */
export const stackOutputs = async (
  stackName: string,
  cloudFormation = new CloudFormationClient({}),
): Promise<StackOutputs> => {
  const { Stacks: [stack] = [] } = await cloudFormation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .catch((error: Error) => {
      throw new Error(`Stack ${stackName} was not found (${error.message}): check its name and AWS_REGION.`);
    });
  const output = (key: string) => {
    const value = stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`Stack ${stackName} has no ${key} output: is it a FinOps gateway stack?`);
    return value;
  };
  return {
    region: stack?.StackId?.split(":")[3] ?? (await cloudFormation.config.region()),
    tableName: output("TableName"),
    credentialsKmsKey: output("CredentialsKmsKey"),
  };
};

/**
 * The gateway's table for the owner's commands (`keys`, `costs`): a deployed stack's when `--stack` names it or
 * TABLE_NAME is set (with AWS credentials), else the local state in FINOPS_DATA_DIR (default .finops-local) — through
 * the running gateway's emulator when there is one (LevelDB allows one process), or an emulator of its own.
 */
export const openTable = async (
  stackName?: string,
): Promise<{
  dynamo: DynamoDBClient;
  tableName: string;
  dataDir?: string;
  /** The stack's key that seals credentials, where it came from `--stack`. */
  kmsKey?: string;
  region?: string;
  /** The running local gateway lets every key in (FINOPS_AUTH=open): credentials' settings do not apply there. */
  openMode?: boolean;
  where: string;
  close: () => Promise<void>;
}> => {
  if (stackName) {
    const stack = await stackOutputs(stackName);
    return {
      dynamo: new DynamoDBClient({ region: stack.region }),
      tableName: stack.tableName,
      kmsKey: stack.credentialsKmsKey,
      region: stack.region,
      where: `stack ${stackName} (table ${stack.tableName}, ${stack.region})`,
      close: async () => undefined,
    };
  }
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
    const { dynamodb, auth } = JSON.parse(readFileSync(endpoints, "utf8")) as { dynamodb: string; auth?: string };
    return {
      dynamo: localDynamoClient(dynamodb),
      tableName: localNames.table,
      dataDir,
      ...(auth === "open" && { openMode: true }),
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
