import { Stack, Validations } from "aws-cdk-lib";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import type { ObjectPlace } from "../../lambdas/core/config";

/**
 * Grants one of the gateway's functions what it needs in the account's own buckets that jobs may use (the
 * `jobBuckets` setting), and nothing wider: the keys under each place's prefix, and listing only that prefix.
 */
export const grantJobBuckets = (
  grantee: IGrantable & IConstruct,
  places: readonly ObjectPlace[],
  access: "read" | "write",
): void => {
  if (places.length === 0) return;
  const partition = Stack.of(grantee).partition;
  const objects = places.map((place) => `arn:${partition}:s3:::${place.bucket}/${place.prefix}*`);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: [access === "read" ? "s3:GetObject" : "s3:PutObject"], resources: objects }),
  );
  if (access === "read") {
    // Without listing, S3 answers a missing key 403, not 404.
    for (const place of places) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["s3:ListBucket"],
          resources: [`arn:${partition}:s3:::${place.bucket}`],
          conditions: { StringLike: { "s3:prefix": [`${place.prefix}*`] } },
        }),
      );
    }
  }
  for (const place of places) {
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${place.bucket}/${place.prefix}*]`,
      reason: "The owner named this bucket and prefix for batch jobs (jobBuckets); the wildcard is the keys under it.",
    });
  }
};
