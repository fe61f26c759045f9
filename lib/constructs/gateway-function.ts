import { fileURLToPath } from "node:url";
import { Duration, Validations } from "aws-cdk-lib";
import { Architecture, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
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

/** The price dataset package, loaded at run time from the function's own node_modules (lambdas/pricing). */
const priceDatasetPackage = "@pydantic/genai-prices";

const handlersDir = fileURLToPath(new URL("../../lambdas/handlers/", import.meta.url));
const lambdaCredentials = fileURLToPath(new URL("../../lambdas/lambda-credentials.ts", import.meta.url));
const lockFile = fileURLToPath(new URL("../../package-lock.json", import.meta.url));

/**
 * A gateway Lambda with the project's defaults: current Node runtime on arm64, bundled by the local esbuild
 * (never Docker), minified with the AWS SDK included so the code runs against the SDK it was tested with,
 * structured JSON logs kept for a month.
 */
export class GatewayFunction extends Construct {
  public readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, "Logs", { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.function = new NodejsFunction(this, "Function", {
      entry: `${handlersDir}${props.entry}.ts`,
      handler: "handler",
      depsLockFilePath: lockFile,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(29),
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      // X-Ray: the Powertools tracer (lambdas/tracer.ts) adds a subsegment per AWS SDK and upstream call.
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: `finops-${props.entry}`,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        target: "node22",
        format: OutputFormat.CJS,
        mainFields: ["module", "main"],
        externalModules: [priceDatasetPackage],
        sourceMap: false,
        // Lambda's credentials are in the environment: the SDK's default chain is replaced by that one provider.
        esbuildArgs: { "--alias:@aws-sdk/credential-provider-node": lambdaCredentials },
        ...(props.priceDataset && {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            // The package's CommonJS build and its manifest, as `require` resolves it; nothing else of it.
            afterBundling: (inputDir: string, outputDir: string) => {
              const from = `${inputDir}/node_modules/${priceDatasetPackage}`;
              const to = `${outputDir}/node_modules/${priceDatasetPackage}`;
              return [
                `mkdir -p "${to}/dist"`,
                `cp "${from}/package.json" "${from}/LICENSE" "${to}/"`,
                `cp "${from}/dist/index.cjs" "${to}/dist/"`,
              ];
            },
          },
        }),
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
