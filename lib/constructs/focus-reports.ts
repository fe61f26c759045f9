import { Aws, Duration, Names, RemovalPolicy, Validations } from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-glue";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import {
  focusColumnKinds,
  focusColumns,
  focusPartitionColumn,
  focusReportPrefix,
} from "../../lambdas/core/focus-layout";
import { GatewayFunction } from "./gateway-function";
import { logicalIdOf } from "./staging-storage";

/** Props of {@link FocusReports}. */
export interface FocusReportsProps {
  /** The gateway's table, whose settled batches the files hold. */
  readonly table: Table;
  /** The gateway functions' environment (the delivery prices with the same settings). */
  readonly environment: Record<string, string>;
  readonly priceOverrides?: string;
  readonly removalPolicy: RemovalPolicy;
  /** The first billing month Athena looks for (`YYYY-MM`). @default "2026-01" */
  readonly firstMonth?: string;
}

/** Glue's type of each FOCUS column, from the type the Parquet file gives it (formats/focus-parquet.ts). */
const glueTypes = { decimal: "double", datetime: "timestamp", string: "string" } as const;

/**
 * The FOCUS files, delivered daily: a bucket whose files are kept (the staging bucket's expire), a scheduled Lambda
 * that rewrites the previous and current month's Parquet and CSV (lambdas/app/focus-delivery.ts), and a Glue table
 * over the Parquet files, partitioned by billing month with partition projection (no crawler, no `MSCK REPAIR`), so
 * one Athena query joins it with the account's own CUR 2.0 or FOCUS export.
 */
export class FocusReports extends Construct {
  /** The reports bucket: `focus/parquet/billing_period=YYYY-MM/…` and `focus/csv/…`. */
  public readonly bucket: Bucket;
  /** The Lambda that delivers them each day at 02:00 UTC. */
  public readonly deliveryFunction: IFunction;
  /** The Glue database and table Athena queries (`SELECT … FROM "{database}"."focus"`). */
  public readonly databaseName: string;
  public readonly tableName = "focus";

  constructor(scope: Construct, id: string, props: FocusReportsProps) {
    super(scope, id);
    this.bucket = new Bucket(this, "Bucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
      // Each delivery overwrites a month's file: the version it replaced stays a month, in case a delivery was wrong.
      versioned: true,
      lifecycleRules: [{ id: "expire-replaced-files", noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(this.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Only the delivery Lambda writes here (CloudTrail records it) and readers are the account's own Athena " +
        "users; a bucket of server access logs would only duplicate that.",
    });

    this.deliveryFunction = new GatewayFunction(this, "Delivery", {
      entry: "focus-delivery",
      timeout: Duration.minutes(5),
      // A month's rows are held to write its Parquet file: up to 2.0 GB for 85,000 batches of the month
      // (npm run bench:focus-delivery), within 3,008 MB, the most a new account's Lambda may have.
      memorySize: 3008,
      environment: {
        ...props.environment,
        REPORTS_BUCKET: this.bucket.bucketName,
        ACCOUNT_ID: Aws.ACCOUNT_ID,
      },
      priceDataset: true,
      priceOverrides: props.priceOverrides,
    }).function;
    // Reads every batch and credential of the table (a scan a day), writes only the FOCUS prefix.
    props.table.grant(this.deliveryFunction, "dynamodb:Scan");
    this.bucket.grantReadWrite(this.deliveryFunction, "focus/*");
    this.deliveryFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": ["focus/*"] } },
      }),
    );
    for (const [findingId, reason] of [
      [
        `AwsSolutions-IAM5[Action::s3:GetObject*]`,
        "grantReadWrite's object actions (GetObject, GetObjectVersion…), on the FOCUS prefix only.",
      ],
      [`AwsSolutions-IAM5[Action::s3:GetBucket*]`, "grantReadWrite's bucket reads, on the reports bucket only."],
      [`AwsSolutions-IAM5[Action::s3:List*]`, "grantReadWrite's listing, on the reports bucket only."],
      [`AwsSolutions-IAM5[Action::s3:DeleteObject*]`, "grantReadWrite's deletes, on the FOCUS prefix only."],
      [`AwsSolutions-IAM5[Action::s3:Abort*]`, "grantReadWrite's multipart aborts, on the FOCUS prefix only."],
      [
        `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.table)}.Arn>/index/*]`,
        "The scan's grant covers the table's indexes too; the delivery scans the table itself only.",
      ],
      [
        `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.bucket)}.Arn>/focus/*]`,
        "The delivery writes one file per month and format, all under 'focus/'.",
      ],
    ] as const)
      Validations.of(this.deliveryFunction).acknowledge({ id: findingId, reason });
    new Rule(this, "DailySchedule", {
      description: "FinOps gateway: deliver the FOCUS files of the previous and current month",
      schedule: Schedule.cron({ hour: "2", minute: "0" }),
      targets: [new LambdaFunction(this.deliveryFunction, { retryAttempts: 2 })],
    });

    this.databaseName = Names.uniqueResourceName(this, { maxLength: 60, separator: "_" }).toLowerCase();
    const database = new CfnDatabase(this, "Database", {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: "FinOps gateway: FOCUS cost and usage rows of its batches",
      },
    });
    const location = `s3://${this.bucket.bucketName}/${focusReportPrefix("parquet")}`;
    const table = new CfnTable(this, "Table", {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description:
          "FOCUS 1.2 rows (with 1.3's provider columns), one per batch and token kind; x_ columns are FinOps'",
        tableType: "EXTERNAL_TABLE",
        parameters: {
          EXTERNAL: "TRUE",
          classification: "parquet",
          // Every month from the first one to now is a partition; Athena computes them, nothing registers them.
          "projection.enabled": "true",
          [`projection.${focusPartitionColumn}.type`]: "date",
          [`projection.${focusPartitionColumn}.format`]: "yyyy-MM",
          [`projection.${focusPartitionColumn}.range`]: `${props.firstMonth ?? "2026-01"},NOW`,
          [`projection.${focusPartitionColumn}.interval`]: "1",
          [`projection.${focusPartitionColumn}.interval.unit`]: "MONTHS",
          "storage.location.template": `${location}${focusPartitionColumn}=\${${focusPartitionColumn}}/`,
        },
        partitionKeys: [{ name: focusPartitionColumn, type: "string" }],
        storageDescriptor: {
          location,
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serdeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
          // Glue keeps names in lower case; Athena matches them to the Parquet columns regardless of case.
          columns: focusColumns.map((name) => ({
            name: name.toLowerCase(),
            type: glueTypes[focusColumnKinds[name] ?? "string"],
          })),
        },
      },
    });
    table.node.addDependency(database);
  }
}
