import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from "aws-cdk-lib/aws-s3";
import { Construct, type IConstruct } from "constructs";
import { stagingPrefix } from "../../lambdas/core/layout";
import { tableSchema } from "../../lambdas/state/table-schema";

/** Props of {@link StagingStorage}. */
export interface StagingStorageProps {
  /**
   * Days after which staged objects (uploads, staged inputs, results) are deleted by the bucket lifecycle.
   * Files expire in the table at the same age.
   * @default 30
   */
  readonly retentionDays?: number;
  /**
   * What happens to the bucket and table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The staging S3 bucket (bytes) and the DynamoDB table (ids, status, tenancy) of the gateway. */
export class StagingStorage extends Construct {
  /** Uploaded files, staged upstream inputs and converted results. */
  public readonly bucket: Bucket;
  /** One item per file or batch, with a per-tenant index newest first. */
  public readonly table: Table;
  public readonly retentionDays: number;
  /** What happens to the bucket and table when the stack is deleted. */
  public readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: StagingStorageProps = {}) {
    super(scope, id);
    this.retentionDays = props.retentionDays ?? 30;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.removalPolicy = removalPolicy;

    this.bucket = new Bucket(this, "Bucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy,
      // A bucket CloudFormation deletes must be empty first: with DESTROY, a custom resource empties it.
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      lifecycleRules: [
        { id: "expire-staged-objects", expiration: Duration.days(this.retentionDays) },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Chunks and parts of uploads nobody completed (OpenAI's expire after an hour, Google's after a day).
        { id: "expire-abandoned-upload-parts", prefix: stagingPrefix.uploads, expiration: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Staging objects are short-lived and every access goes through the gateway's Lambdas and the Bedrock role, " +
        "whose calls CloudTrail records; a second bucket of server access logs would only duplicate that.",
    });

    this.table = new Table(this, "Table", {
      partitionKey: { name: tableSchema.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableSchema.ttlAttribute,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: tableSchema.tenantIndex,
      partitionKey: { name: tableSchema.tenantIndexPartitionKey, type: AttributeType.STRING },
      sortKey: { name: tableSchema.tenantIndexSortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: tableSchema.watchIndex,
      partitionKey: { name: tableSchema.watchIndexPartitionKey, type: AttributeType.STRING },
      sortKey: { name: tableSchema.tenantIndexSortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  /**
   * Lets a handler read and write objects under one staging prefix and the items of the table — the
   * actions the repository and blob store use, nothing more.
   */
  grantObjectAccess(grantee: IGrantable & IConstruct, prefix: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        // AbortMultipartUpload: the blob store streams large bodies as multipart uploads (lib-storage).
        actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
        resources: [this.bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    this.grantItemAccess(grantee);
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.bucket)}.Arn>/${prefix}*]`,
      reason: `Objects are keyed by generated ids under '${prefix}'; the wildcard is limited to that prefix.`,
    });
  }

  /** Lets a principal read and write the table's items — the actions the repository and stores use, nothing more. */
  grantItemAccess(grantee: IGrantable & IConstruct): void {
    this.table.grant(
      grantee,
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Query",
    );
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.table)}.Arn>/index/*]`,
      reason: "Listing queries the table's per-tenant index; the wildcard covers only this table's indexes.",
    });
  }

  /** Lets a handler list keys under one prefix (S3 answers a missing key with 404 rather than 403 only then). */
  grantList(grantee: IGrantable, prefix: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } },
      }),
    );
  }
}

/** The logical id CloudFormation gives a construct's resource (cdk-nag names resources by it in finding ids). */
export const logicalIdOf = (construct: IConstruct): string =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
