import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AssetHashType, DockerImage, Duration, Validations } from "aws-cdk-lib";
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** Props of {@link GatewayFunction}. */
export interface GatewayFunctionProps {
  /** Entry file under `lambdas/handlers/`, without extension (e.g. `openai`). */
  readonly entry: string;
  /** @default Duration.seconds(29), just under API Gateway's integration timeout */
  readonly timeout?: Duration;
  /** Environment variables beyond the defaults. @default {} */
  readonly environment?: Record<string, string>;
  /** @default 1024 */
  readonly memorySize?: number;
  /** How long the function's logs are kept. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Ship the genai-prices dataset beside the bundle (the function prices batches). It is never bundled: half a
   * megabyte that only a batch create or settlement loads, on first use. @default false
   */
  readonly priceDataset?: boolean;
}

const root = fileURLToPath(new URL("../../", import.meta.url));
const handlersDir = `${root}lambdas/handlers`;

/**
 * Bundles one handler with the project's esbuild definition (lib/bundling.ts) in a child process (CDK bundles
 * synchronously; the definition's plugin needs esbuild's asynchronous build). A failed bundle fails the synth.
 */
const bundleCommand = (entry: string, priceDataset: boolean, outputDir = "/asset-output"): string[] => [
  "--import",
  "tsx",
  `${root}lib/bundle-lambda.ts`,
  entry,
  outputDir,
  ...(priceDataset ? ["--price-dataset"] : []),
];

const bundleLocally = (entry: string, outputDir: string, priceDataset: boolean): true => {
  const result = spawnSync(process.execPath, bundleCommand(entry, priceDataset, outputDir), {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) throw new Error(`Bundling lambdas/handlers/${entry}.ts failed (exit ${result.status}).`);
  return true;
};

/**
 * A gateway Lambda with the project's defaults: current Node runtime on arm64, bundled by the local esbuild
 * (never Docker), minified with the AWS SDK included so the code runs against the SDK it was tested with,
 * structured JSON logs kept for a month.
 */
export class GatewayFunction extends Construct {
  public readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, "Logs", { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.function = new LambdaFunction(this, "Function", {
      code: Code.fromAsset(handlersDir, {
        // The bundle's own bytes name the asset: a change anywhere in what it imports deploys it again.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: the local bundling below always bundles or throws (no Docker on a deploying machine).
          image: DockerImage.fromRegistry("local-esbuild"),
          // What the local bundling runs. CDK keys its bundling cache on these options (never on `local`): without
          // the entry here, every function of a synth would get the first one's bundle.
          command: bundleCommand(props.entry, props.priceDataset ?? false),
          local: { tryBundle: (outputDir) => bundleLocally(props.entry, outputDir, props.priceDataset ?? false) },
        },
      }),
      handler: "index.handler",
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(29),
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      // Lambda's active tracing: a segment per invocation (with its init), joined to API Gateway's and Step Functions'.
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: `finops-${props.entry}`,
        ...props.environment,
      },
    });
    const policy = `Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`;
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "X-Ray tracing (PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions.",
    });
    Validations.of(this.function).acknowledge({
      id: `AwsSolutions-IAM4[${policy}]`,
      reason: "The AWS-managed basic execution policy only lets the function write its own CloudWatch logs.",
    });
  }
}
