import { Token } from "aws-cdk-lib";

/**
 * What a batch may name as its model — every foundation model (in any Region, as cross-Region inference profiles
 * route there; a global profile routes to foundation models whose ARN has no Region at all, which Bedrock's
 * documentation says to grant explicitly), and this account's system-defined and application inference profiles.
 */
export const bedrockModelArns = ({
  partition,
  region,
  account,
}: {
  partition: string;
  region: string;
  account: string;
}) =>
  [
    `arn:${partition}:bedrock:*::foundation-model/*`,
    `arn:${partition}:bedrock:${region}:${account}:inference-profile/*`,
    `arn:${partition}:bedrock:${region}:${account}:application-inference-profile/*`,
    `arn:${partition}:bedrock:::foundation-model/*`,
  ] as const;

/** An ARN as cdk-nag prints it in a finding id: unresolved pseudo parameters as `<AWS::…>`, literals as they are. */
export const asNagShowsIt = (arn: string, pseudo: { partition: string; region: string; account: string }): string => {
  const names = { partition: "AWS::Partition", region: "AWS::Region", account: "AWS::AccountId" } as const;
  let shown = arn;
  for (const key of ["partition", "region", "account"] as const) {
    if (Token.isUnresolved(pseudo[key])) shown = shown.split(pseudo[key]).join(`<${names[key]}>`);
  }
  return shown;
};
