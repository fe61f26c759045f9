import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AccountRootPrincipal, Role } from "aws-cdk-lib/aws-iam";
import { describe, expect, it } from "vitest";
import { frontDoors } from "../../lambdas/dialects/front-doors";
import { stagedRoutes } from "../../lambdas/dialects/staged-routes";
import { FinOpsGateway } from "../../lib";
import { nagFindings } from "./nag-probe";

const env = { account: "123456789012", region: "eu-west-1" };

/** A user's own stack with two gateways (say, one per team) and an admin role allowed to manage the first. */
const userStack = (app: App) => {
  const stack = new Stack(app, "Platform", { env });
  const teamA = new FinOpsGateway(stack, "TeamA");
  const teamB = new FinOpsGateway(stack, "TeamB", { rateLimitPerMinute: 60, allowMarketplaceSubscriptions: false });
  const admin = new Role(stack, "Admin", { assumedBy: new AccountRootPrincipal() });
  teamA.grantManageCredentials(admin);
  teamA.grantWriteProviderKeys(admin);
  return { stack, teamA, teamB };
};

describe("FinOpsGateway, the reusable construct", () => {
  it("adds to any stack, twice over, and synthesizes clean under cdk-nag", () => {
    expect(nagFindings((app) => userStack(app).stack)).toEqual([]);
  });

  it("creates two independent gateways that share the one account-level CloudWatch role", () => {
    const app = new App();
    const { stack, teamA, teamB } = userStack(app);
    const template = Template.fromStack(stack);
    template.resourceCountIs("AWS::ApiGateway::RestApi", 2);
    template.resourceCountIs("AWS::ApiGateway::Account", 1);
    template.resourceCountIs("AWS::DynamoDB::Table", 2);
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 2);
    template.resourceCountIs(
      "AWS::Lambda::Function",
      2 * (Object.keys(frontDoors).length + Object.keys(stagedRoutes).length + 1),
    );
    expect(teamA.table).not.toBe(teamB.table);
    expect(stack.resolve(teamA.urlOf("genai"))).toEqual({
      "Fn::Join": ["", expect.arrayContaining([expect.stringContaining("/genai")])],
    });
  });

  it("exposes what it creates and grants through methods", () => {
    const app = new App();
    const { stack, teamA } = userStack(app);
    for (const created of [
      teamA.api,
      teamA.table,
      teamA.bucket,
      teamA.stateMachine,
      teamA.taskFunction,
      teamA.bedrockRole,
      teamA.credentialsKey,
      teamA.providerKeys,
      ...Object.values(teamA.functions),
    ])
      expect(created).toBeDefined();
    const adminPolicy = JSON.stringify(
      Object.entries(Template.fromStack(stack).findResources("AWS::IAM::Policy")).find(([id]) =>
        id.startsWith("Admin"),
      ),
    );
    expect(adminPolicy).toContain("dynamodb:PutItem");
    expect(adminPolicy).toContain("kms:Encrypt");
    expect(adminPolicy).toContain("secretsmanager:PutSecretValue");
  });

  it("leaves the account setting alone when told to", () => {
    const app = new App();
    const stack = new Stack(app, "Managed", { env });
    new FinOpsGateway(stack, "Gw", { setAccountCloudWatchRole: false });
    Template.fromStack(stack).resourceCountIs("AWS::ApiGateway::Account", 0);
  });
});
