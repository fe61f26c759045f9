import { App, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AccountRootPrincipal, type CfnRole, Role } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { describe, expect, it } from "vitest";
import { frontDoors } from "../../lambdas/dialects/front-doors";
import { stagedRoutes } from "../../lambdas/dialects/staged-routes";
import { FinOpsGateway } from "../../lib";
import { nagFindings } from "./nag-probe";

const env = { account: "123456789012", region: "eu-west-1" };

/** A price list longer than Lambda's whole environment (4 KB) holds. */
const manyPrices = Object.fromEntries(
  Array.from({ length: 200 }, (_, i) => [`openai:ft:model-${i}`, { input_mtok: i + 1, output_mtok: 2 }]),
);

/** A user's own stack with two gateways (say, one per team) and an admin role allowed to manage the first. */
const userStack = (app: App) => {
  const stack = new Stack(app, "Platform", { env });
  const teamA = new FinOpsGateway(stack, "TeamA");
  const teamB = new FinOpsGateway(stack, "TeamB", {
    rateLimitPerMinute: 60,
    allowMarketplaceSubscriptions: false,
    jobBuckets: ["team-data/batches/", "archive"],
    dataRemovalPolicy: RemovalPolicy.DESTROY,
    priceOverrides: manyPrices,
  });
  const admin = new Role(stack, "Admin", { assumedBy: new AccountRootPrincipal() });
  teamA.grantManageCredentials(admin);
  teamA.grantWriteProviderKeys(admin);
  return { stack, teamA, teamB };
};

describe("FinOpsGateway, the reusable construct", () => {
  it("adds to any stack, twice over, and synthesizes clean under cdk-nag", () => {
    expect(nagFindings((app) => userStack(app).stack)).toEqual([]);
  });

  it("ships price overrides as a file beside the dataset of each Lambda that prices, never in the environment", () => {
    const template = Template.fromStack(userStack(new App()).stack);
    const environments = Object.values(template.findResources("AWS::Lambda::Function")).map((fn) =>
      JSON.stringify(fn.Properties?.Environment ?? {}),
    );
    expect(environments.filter((env) => env.includes('PRICE_OVERRIDES"'))).toEqual([]);
    expect(environments.every((env) => env.length < 4096)).toBe(true);
    // Team B's task, its FOCUS delivery and the doors that create or estimate batches price, and read the file.
    expect(environments.filter((env) => env.includes('"PRICE_OVERRIDES_FILE":"price-overrides.json"'))).toHaveLength(
      2 + Object.values(frontDoors).filter((door) => door.pricesBatches).length,
    );
  });

  it("empties a bucket it deletes (destroyDataOnDelete), and keeps the retained one as it is", () => {
    const template = Template.fromStack(userStack(new App()).stack);
    const buckets = template.findResources("AWS::S3::Bucket");
    // Each gateway's staging bucket and its FOCUS reports bucket.
    const policies = Object.entries(buckets).map(([id, bucket]) => [id.slice(0, 5), bucket.DeletionPolicy]);
    expect(policies.sort()).toEqual([
      ["TeamA", "Retain"],
      ["TeamA", "Retain"],
      ["TeamB", "Delete"],
      ["TeamB", "Delete"],
    ]);
    const emptied = Object.values(template.findResources("Custom::S3AutoDeleteObjects")).map((r) => JSON.stringify(r));
    expect(emptied).toHaveLength(2);
    expect(emptied.filter((r) => r.includes("TeamBStorageBucket"))).toHaveLength(1);
    expect(emptied.filter((r) => r.includes("TeamBFocusReportsBucket"))).toHaveLength(1);
  });

  it("grants exactly the own buckets jobs may use: the Bedrock door reads, the task writes, nothing else touches them", () => {
    const app = new App();
    const { stack, teamB } = userStack(app);
    const template = Template.fromStack(stack);
    const policies = Object.entries(template.findResources("AWS::IAM::Policy")).map(([id, policy]) => ({
      id,
      text: JSON.stringify(policy),
      roles: JSON.stringify((policy as { Properties: { Roles: unknown } }).Properties.Roles),
    }));
    const touching = policies.filter((p) => p.text.includes(":s3:::team-data") || p.text.includes(":s3:::archive"));
    const roleOf = (fn: IFunction) =>
      (stack.resolve((fn.role!.node.defaultChild as CfnRole).ref) as { Ref: string }).Ref;
    const bedrockDoor = roleOf(teamB.functions.bedrock);
    const task = roleOf(teamB.taskFunction);
    expect(touching.map((p) => JSON.parse(p.roles)[0].Ref).sort()).toEqual([bedrockDoor, task].sort());
    type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
    const ownStatements = (role: string) =>
      touching
        .filter((p) => p.roles.includes(role))
        .flatMap((p) => JSON.parse(p.text).Properties.PolicyDocument.Statement as Statement[])
        .filter((st) => /:s3:::(team-data|archive)/.test(JSON.stringify(st.Resource)));
    const actions = (role: string) => [...new Set(ownStatements(role).flatMap((st) => [st.Action].flat()))].sort();
    expect(actions(bedrockDoor)).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(actions(task)).toEqual(["s3:PutObject"]);
    const listing = ownStatements(bedrockDoor).filter((st) => st.Action === "s3:ListBucket");
    expect(listing.map((st) => st.Condition)).toEqual([
      { StringLike: { "s3:prefix": ["batches/*"] } },
      { StringLike: { "s3:prefix": ["*"] } },
    ]);
    for (const st of ownStatements(task))
      expect(JSON.stringify(st.Resource)).toMatch(/team-data\/batches\/\*|archive\/\*/);
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
      // each gateway: its front doors (a streaming one's HEAD too) and staged authorizers, the task, the reconciler
      // , the webhook sender and the FOCUS delivery; and the one that empties team B's buckets when they are deleted
      2 *
        (Object.keys(frontDoors).length +
          Object.values(frontDoors).filter((door) => "headEntry" in door).length +
          Object.keys(stagedRoutes).length +
          4) +
        1,
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

  it("watches itself: a dashboard, alarms sent to the topic given, a reconciler every 15 min, events and webhooks", () => {
    const app = new App();
    const stack = new Stack(app, "Ops", { env });
    const topic = new Topic(stack, "OnCall");
    const gateway = new FinOpsGateway(stack, "Gw", { alarmTopic: topic });
    const template = Template.fromStack(stack);
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 2); // the dashboard and its alarm view
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as {
      Properties: { AlarmName: string; AlarmActions?: unknown[]; Threshold: number };
    }[];
    const named = (part: string) => alarms.filter((a) => a.Properties.AlarmName.includes(part));
    for (const part of ["Api5xxRate", "FailedBatches", "BatchTask", "BatchStateMachine", "Table", "Reconciler"])
      expect(named(part).length, part).toBeGreaterThan(0);
    expect(named("Api5xxRate")[0]!.Properties.Threshold).toBe(5);
    expect(named("FailedBatches")[0]!.Properties.Threshold).toBe(3);
    for (const alarm of alarms)
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OnCall/) }]);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(15 minutes)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("Reconciler"), "Arn"] } })],
    });
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: { source: ["finops.gateway"], "detail-type": ["FinOps Batch Ended"] },
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 12 }),
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: Match.anyValue() }) },
      TracingConfig: { Mode: "Active" },
    });
    expect(gateway.eventBus).toBeDefined();
  });

  it("leaves the account setting alone when told to", () => {
    const app = new App();
    const stack = new Stack(app, "Managed", { env });
    new FinOpsGateway(stack, "Gw", { setAccountCloudWatchRole: false });
    Template.fromStack(stack).resourceCountIs("AWS::ApiGateway::Account", 0);
  });
});
