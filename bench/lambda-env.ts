import { localNames } from "../local/emulators";

/**
 * The environment a gateway Lambda finds in AWS (what the stack sets), with bench values: what a bundle reads when
 * it loads, for the benchmarks that load bundles in a fresh process (bench/run.ts, bench/bundle-contents.ts).
 */
export const benchLambdaEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "",
  AWS_REGION: localNames.region,
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  POWERTOOLS_LOG_LEVEL: "ERROR",
  POWERTOOLS_METRICS_DISABLED: "true",
  TABLE_NAME: localNames.table,
  BUCKET_NAME: localNames.bucket,
  FINOPS_AUTH: "open",
  PROVIDER_KEYS_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench",
  EVENT_BUS_NAME: "bench",
  STATE_MACHINE_ARN: "arn:aws:states:us-east-1:000000000000:stateMachine:bench",
  TASK_FUNCTION_NAME: "bench-task",
  WEBHOOK_QUEUE_URL: "http://127.0.0.1:1/queue",
  CREDENTIALS_KMS_KEY: "arn:aws:kms:us-east-1:000000000000:key/bench",
});
