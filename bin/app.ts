import { App, RemovalPolicy, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { batchSettingNames } from "../lambdas/core/part-settings";
import { GatewayStack } from "../lib/gateway-stack";

const app = new App();
/** Optional settings, given as `cdk deploy -c name=value` (README "Configuration"). */
const numberContext = (name: string): number | undefined => {
  const value = app.node.tryGetContext(name) as string | number | undefined;
  return value === undefined ? undefined : Number(value);
};
/** A comma-separated setting as a list. */
const listContext = (name: string): string[] =>
  String(app.node.tryGetContext(name) ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
new GatewayStack(app, app.node.tryGetContext("stackName") ?? "FinOpsGateway", {
  description: "FinOps batch gateway for LLM workloads",
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  retentionDays: numberContext("retentionDays"),
  throttlingRateLimit: numberContext("throttlingRateLimit"),
  dataRemovalPolicy: app.node.tryGetContext("destroyDataOnDelete") === "true" ? RemovalPolicy.DESTROY : undefined,
  requireAuth: app.node.tryGetContext("requireAuth") !== "false",
  passThrough: app.node.tryGetContext("passThrough") === "true",
  rateLimitPerMinute: numberContext("rateLimitPerMinute"),
  maxConcurrentBatches: numberContext("maxConcurrentBatches"),
  setAccountCloudWatchRole: app.node.tryGetContext("setAccountCloudWatchRole") !== "false",
  allowMarketplaceSubscriptions: app.node.tryGetContext("allowMarketplaceSubscriptions") !== "false",
  // JSON, as PRICE_OVERRIDES takes it (README "FinOps").
  priceOverrides: app.node.tryGetContext("priceOverrides")
    ? JSON.parse(String(app.node.tryGetContext("priceOverrides")))
    : undefined,
  // An SNS topic of yours (its ARN) that the gateway's alarms notify.
  alarmTopicArn: app.node.tryGetContext("alarmTopicArn"),
  // Your own domain (CloudFront alternate domain names, comma-separated) and its us-east-1 certificate's ARN.
  domainNames: listContext("domainNames"),
  certificateArn: app.node.tryGetContext("certificateArn"),
  basePath: app.node.tryGetContext("basePath"),
  jobBuckets: listContext("jobBuckets"),
  modelAllowlist: listContext("modelAllowlist"),
  // Batch sizes, row retries and provider quotas, each by its own name (`-c BEDROCK_JOBS_PER_MODEL=10`).
  batchSettings: Object.fromEntries(
    batchSettingNames.flatMap((name) => {
      const value = app.node.tryGetContext(name) as string | number | undefined;
      return value === undefined ? [] : [[name, String(value)]];
    }),
  ),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
