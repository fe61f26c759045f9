import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { copyConsoleFiles, copyPriceDataset } from "../bundling";

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
  /**
   * The owner's price overrides (JSON), shipped with the dataset as a file of the asset: an environment variable
   * holds 4 KB in all, and a price list outgrows that. @default none
   */
  readonly priceOverrides?: string;
  /** Ship the console's files (lambdas/core/console-files.ts) beside the bundle: the door serving them. @default false */
  readonly consoleFiles?: boolean;
}

/** The overrides' file in a function's asset (`PRICE_OVERRIDES_FILE`, read from the task root). */
const priceOverridesFile = "price-overrides.json";

const root = fileURLToPath(new URL("../../", import.meta.url));
const handlersDir = `${root}lambdas/handlers`;

/**
 * Every handler, bundled once per process with the project's esbuild definition (lib/bundling.ts) in one child
 * process: CDK bundles synchronously, and the definition's plugins need esbuild's asynchronous build. One child for
 * all (esbuild builds them in parallel) instead of one per function; a failed bundle fails the synth.
 */
let bundled: string | undefined;
const bundledHandlers = (): string => {
  if (bundled) return bundled;
  const outputRoot = mkdtempSync(join(tmpdir(), "finops-bundles-"));
  const entries = readdirSync(handlersDir)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => file.slice(0, -3));
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", `${root}lib/bundle-lambda.ts`, outputRoot, ...entries],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.status !== 0) throw new Error(`Bundling lambdas/handlers failed (exit ${result.status}).`);
  process.once("exit", () => rmSync(outputRoot, { recursive: true, force: true }));
  bundled = outputRoot;
  return outputRoot;
};

/** One function's asset: its handler's bundle, and the price dataset beside it where it prices. */
const bundleLocally = (
  entry: string,
  outputDir: string,
  extras: { priceDataset: boolean; consoleFiles: boolean },
  overrides?: string,
): true => {
  cpSync(join(bundledHandlers(), entry), outputDir, { recursive: true });
  if (extras.priceDataset) copyPriceDataset(outputDir);
  if (extras.consoleFiles) copyConsoleFiles(outputDir);
  if (overrides !== undefined) writeFileSync(join(outputDir, priceOverridesFile), overrides);
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
    const overrides = props.priceDataset ? props.priceOverrides : undefined;
    const logGroup = new LogGroup(this, "Logs", { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    this.function = new LambdaFunction(this, "Function", {
      code: Code.fromAsset(handlersDir, {
        // The bundle's own bytes name the asset: a change anywhere in what it imports deploys it again.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: the local bundling below always bundles or throws (no Docker on a deploying machine).
          image: DockerImage.fromRegistry("local-esbuild"),
          // CDK keys its bundling cache on these options (never on `local`): without the entry and the dataset here,
          // every function of a synth would get the first one's asset.
          command: [
            "bundle-lambda",
            props.entry,
            ...(props.priceDataset ? ["--price-dataset"] : []),
            ...(props.consoleFiles ? ["--console-files"] : []),
            ...(overrides === undefined
              ? []
              : [`--price-overrides=${createHash("sha256").update(overrides).digest("hex")}`]),
          ],
          local: {
            tryBundle: (outputDir) =>
              bundleLocally(
                props.entry,
                outputDir,
                { priceDataset: props.priceDataset ?? false, consoleFiles: props.consoleFiles ?? false },
                overrides,
              ),
          },
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
        ...(overrides !== undefined && { PRICE_OVERRIDES_FILE: priceOverridesFile }),
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
