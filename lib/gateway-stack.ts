import { CfnOutput, type RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { stagingPrefix } from "../lambdas/core/layout";
import { frontDoors } from "../lambdas/dialects/front-doors";
import { BatchEngine } from "./constructs/batch-engine";
import { BedrockBatchRole } from "./constructs/bedrock-batch-role";
import { GatewayApi, mapFrontDoors } from "./constructs/gateway-api";
import { GatewayFunction } from "./constructs/gateway-function";
import { StagingStorage } from "./constructs/staging-storage";

const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Props of {@link GatewayStack}. */
export interface GatewayStackProps extends StackProps {
  /**
   * Days uploaded files and staged objects are kept.
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * Removal policy of the bucket and table (RETAIN keeps data when the stack is deleted).
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /** API Gateway stage throttling, requests per second. @default 100 */
  readonly throttlingRateLimit?: number;
  /**
   * Admit only gateway credentials (`npm run keys -- create`) and verify SigV4. Turning it off lets any key in,
   * each key its own tenant — for a private network only.
   * @default true
   */
  readonly requireAuth?: boolean;
  /**
   * Pass-through: a key that is not a gateway key is taken as the caller's own provider key (sealed with the
   * stack's KMS key, its batches run with it), and its hash is the tenant.
   * @default false
   */
  readonly passThrough?: boolean;
  /** Requests per minute per gateway credential (429 with retry-after beyond; 0 = none). @default 600 */
  readonly rateLimitPerMinute?: number;
  /** Batches in progress per gateway credential (0 = none). @default 20 */
  readonly maxConcurrentBatches?: number;
}

/**
 * The FinOps gateway: API Gateway → one Lambda per front door → DynamoDB + S3, plus Bedrock's batch role and
 * the provider keys secret.
 */
export class GatewayStack extends Stack {
  constructor(scope: Construct, id: string, props: GatewayStackProps = {}) {
    super(scope, id, props);

    const storage = new StagingStorage(this, "Storage", {
      retentionDays: props.retentionDays,
      removalPolicy: props.dataRemovalPolicy,
    });
    const bedrockRole = new BedrockBatchRole(this, "BedrockBatchRole", { bucket: storage.bucket });
    const providerKeys = new Secret(this, "ProviderKeys", {
      description:
        "FinOps provider API keys as JSON: " +
        '{"OPENAI_API_KEY": "...", "ANTHROPIC_API_KEY": "...", "GEMINI_API_KEY": "..."}',
      // Starts as an empty JSON object (no provider keys; Bedrock needs none), so anything that is not a JSON
      // object later is an owner's mistake the task reports, not a value it must guess about.
      secretObjectValue: {},
    });
    Validations.of(providerKeys).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "These are third-party provider API keys; they are rotated at the provider and put here by the owner, so " +
        "no rotation Lambda can rotate them.",
    });

    // Seals the AWS secrets of gateway credentials; the dialect Lambdas only ever decrypt.
    const credentialsKey = new Key(this, "CredentialsKey", {
      description: "FinOps gateway: seals gateway credentials' AWS secrets",
      enableKeyRotation: true,
    });
    const environment = {
      TABLE_NAME: storage.table.tableName,
      BUCKET_NAME: storage.bucket.bucketName,
      FILE_TTL_DAYS: String(storage.retentionDays),
      FINOPS_AUTH: props.requireAuth === false ? "open" : "keys",
      CREDENTIALS_KMS_KEY: credentialsKey.keyArn,
      FINOPS_PASSTHROUGH: props.passThrough ? "on" : "off",
      RATE_LIMIT_PER_MINUTE: String(props.rateLimitPerMinute ?? 600),
      MAX_CONCURRENT_BATCHES: String(props.maxConcurrentBatches ?? 20),
    };
    const engine = new BatchEngine(this, "BatchEngine", {
      storage,
      providerKeys,
      bedrockRole: bedrockRole.role,
      environment,
    });
    if (props.passThrough) credentialsKey.grantDecrypt(engine.taskFunction);
    // One Lambda per front door of the registry (lambdas/dialects/front-doors.ts), granted what its row says.
    const functions = mapFrontDoors((id, door) => {
      const fn = new GatewayFunction(this, `${upperFirst(id)}Dialect`, { entry: door.entry, environment }).function;
      storage.grantObjectAccess(fn, stagingPrefix.files);
      credentialsKey.grantDecrypt(fn);
      if (props.passThrough) credentialsKey.grantEncrypt(fn);
      if (door.startsBatches) engine.grantStartBatches(fn);
      if (door.stagesUploads) storage.grantObjectAccess(fn, stagingPrefix.staged); // resumable upload chunks
      if (door.needsAccountId) fn.addEnvironment("ACCOUNT_ID", this.account);
      return fn;
    });
    const api = new GatewayApi(this, "Gateway", { throttlingRateLimit: props.throttlingRateLimit, functions });

    const url = api.api.url.replace(/\/$/, "");
    new CfnOutput(this, "GatewayUrl", { value: api.api.url, description: "The gateway's base URL ({GW})" });
    new CfnOutput(this, "OpenAiBaseUrl", { value: `${url}/${frontDoors.openai.mount}` });
    new CfnOutput(this, "ProviderKeysSecretName", { value: providerKeys.secretName });
    new CfnOutput(this, "BedrockBatchRoleArn", { value: bedrockRole.role.roleArn });
    new CfnOutput(this, "BatchStateMachineArn", { value: engine.stateMachine.stateMachineArn });
    new CfnOutput(this, "TableName", { value: storage.table.tableName, description: "TABLE_NAME for `npm run keys`" });
    new CfnOutput(this, "CredentialsKmsKey", {
      value: credentialsKey.keyArn,
      description: "CREDENTIALS_KMS_KEY for `npm run keys`",
    });
  }
}
