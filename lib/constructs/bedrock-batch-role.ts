import { Stack, Validations } from "aws-cdk-lib";
import { Effect, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { stagingPrefix } from "../../lambdas/core/layout";
import { asNagShowsIt, bedrockModelArns } from "./bedrock-arns";
import { logicalIdOf } from "./staging-storage";

/** Props of {@link BedrockBatchRole}. */
export interface BedrockBatchRoleProps {
  /** The staging bucket Bedrock reads inputs from and writes outputs to. */
  readonly bucket: IBucket & Construct;
}

/**
 * The service role Bedrock assumes to run the gateway's model invocation jobs. Only Bedrock, only for this
 * account's jobs (confused-deputy conditions), and only the staging prefixes: read inputs, write outputs.
 */
export class BedrockBatchRole extends Construct {
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: BedrockBatchRoleProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);
    this.role = new Role(this, "Role", {
      description: "Assumed by Amazon Bedrock to run the FinOps gateway's batch inference jobs",
      assumedBy: new ServicePrincipal("bedrock.amazonaws.com", {
        conditions: {
          StringEquals: { "aws:SourceAccount": account },
          ArnLike: { "aws:SourceArn": `arn:${partition}:bedrock:${region}:${account}:model-invocation-job/*` },
        },
      }),
    });
    const { bucket } = props;
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["s3:GetObject"],
        resources: [bucket.arnForObjects(`${stagingPrefix.bedrockInput}*`)],
        conditions: { StringEquals: { "aws:ResourceAccount": account } },
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["s3:PutObject"],
        resources: [bucket.arnForObjects(`${stagingPrefix.bedrockOutput}*`)],
        conditions: { StringEquals: { "aws:ResourceAccount": account } },
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ["s3:ListBucket"],
        resources: [bucket.bucketArn],
        // As AWS documents the service role: on the bucket, without an s3:prefix condition Bedrock may not meet.
        conditions: { StringEquals: { "aws:ResourceAccount": account } },
      }),
    );
    // Jobs on cross-Region or application inference profiles invoke the model under this role.
    const models = bedrockModelArns({ partition, region, account });
    this.role.addToPolicy(new PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: [...models] }));
    for (const model of models) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${asNagShowsIt(model, { partition, region, account })}]`,
        reason: "The model (or inference profile) is chosen per batch by the caller; Bedrock invokes it for the job.",
      });
    }
    const bucketId = logicalIdOf(bucket);
    for (const [prefix, use] of [
      [stagingPrefix.bedrockInput, "reads the job inputs the gateway staged"],
      [stagingPrefix.bedrockOutput, "writes job outputs"],
    ] as const) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Bedrock ${use} under '${prefix}', with object names chosen per job; the wildcard is limited to it.`,
      });
    }
  }
}
