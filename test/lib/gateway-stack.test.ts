import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { consoleFileNames } from "../../lambdas/core/console-files";
import { focusColumnKinds, focusColumns, focusPartitionColumn, focusReportKey } from "../../lambdas/core/focus-layout";
import { stagingPrefix } from "../../lambdas/core/layout";
import { frontDoors, unknownPathAnswer } from "../../lambdas/dialects/front-doors";
import { stagedRoutes } from "../../lambdas/dialects/staged-routes";
import { viewerRequestCode, viewerRequestFile } from "../../lambdas/edge/viewer-request-code";
import { tableSchema } from "../../lambdas/state/table-schema";
import { GatewayStack } from "../../lib/gateway-stack";
import { sectionOf, withCurrentParts } from "../../local/docs";
import { stackResourcesSection, stackRetainedSection } from "../../local/docs-sections";
import { nagFindings } from "./nag-probe";

const env = { account: "123456789012", region: "us-west-2" };

describe("GatewayStack", () => {
  let template: Template;
  let assemblyDir: string;

  beforeAll(() => {
    const app = new App({ context: { "aws:cdk:enable-asset-metadata": true } });
    template = Template.fromStack(new GatewayStack(app, "Gw", { env }));
    assemblyDir = app.outdir;
  });

  it("is what docs/deploy.md lists: every resource type described and priced, and what cdk destroy keeps", () => {
    const page = readFileSync(join(import.meta.dirname, "../../docs/deploy.md"), "utf8");
    const current = withCurrentParts(page, {
      "stack-resources": () => stackResourcesSection(template.toJSON()),
      "stack-retained": () => stackRetainedSection(template.toJSON()),
    });
    for (const section of ["stack-resources", "stack-retained"])
      expect(sectionOf(page, section), "run npm run docs").toBe(sectionOf(current, section));
    expect(sectionOf(page, "stack-retained")).toContain("AWS::KMS::Key");
  });

  it("answers a path outside every mount, and the root, from a mock: 404 naming the mounts, no Lambda", () => {
    const mocks = template.findResources("AWS::ApiGateway::Method", {
      Properties: { HttpMethod: "ANY", Integration: { Type: "MOCK" } },
    });
    expect(Object.keys(mocks)).toHaveLength(2);
    type MockMethod = { Properties: { Integration: { IntegrationResponses: Record<string, unknown>[] } } };
    for (const { Properties } of Object.values(mocks) as MockMethod[]) {
      const [response = {}] = Properties.Integration.IntegrationResponses;
      expect(response.StatusCode).toBe("404");
      expect(response.SelectionPattern).toBeUndefined();
      expect(response.ResponseTemplates).toEqual({ "application/json": unknownPathAnswer.body });
    }
  });

  it("has one REST API with a mount per dialect, binary bodies, throttling and access logs", () => {
    template.resourceCountIs("AWS::ApiGateway::RestApi", 1);
    template.hasResourceProperties("AWS::ApiGateway::RestApi", { BinaryMediaTypes: ["*/*"] });
    const parts = Object.values(template.findResources("AWS::ApiGateway::Resource")).map(
      (r) => (r as { Properties: { PathPart: string } }).Properties.PathPart,
    );
    // One resource per path the tables declare: each mount (and its parents), a `{proxy+}` under each mount, and each
    // staged route's path under its mount (which may be the mount's own `{proxy+}`).
    const paths = new Set<string>();
    const addWithParents = (path: string) => {
      const segments = path.split("/");
      for (let i = 1; i <= segments.length; i++) paths.add(segments.slice(0, i).join("/"));
    };
    paths.add("{proxy+}"); // the root's, answering paths outside every mount
    for (const door of Object.values(frontDoors)) addWithParents(`${door.mount}/{proxy+}`);
    for (const route of Object.values(stagedRoutes))
      addWithParents(`${frontDoors[route.frontDoor].mount}/${route.path}`);
    expect(parts.sort()).toEqual([...paths].map((path) => path.split("/").at(-1)).sort());
    expect(parts).toEqual(expect.arrayContaining(["openai", "anthropic", "genai", "bedrock", "files"]));
    template.hasResourceProperties("AWS::ApiGateway::Stage", {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })]),
    });
    // API Gateway answers a body over 10 MB with its own text whatever a gateway response says: none pretends to.
    expect(JSON.stringify(template.findResources("AWS::ApiGateway::GatewayResponse"))).not.toContain("TOO_LARGE");
  });

  it("fronts the API with CloudFront and the function that copies what API Gateway drops, caching nothing", () => {
    template.resourceCountIs("AWS::CloudFront::Distribution", 1);
    const [fn] = Object.values(template.findResources("AWS::CloudFront::Function")) as {
      Properties: { FunctionCode: string; FunctionConfig: { Runtime: string } };
    }[];
    expect(fn!.Properties.FunctionConfig.Runtime).toBe("cloudfront-js-2.0");
    expect(fn!.Properties.FunctionCode).toBe(
      viewerRequestCode(readFileSync(join(process.cwd(), viewerRequestFile), "utf8"), ""),
    );
    const config = (
      Object.values(template.findResources("AWS::CloudFront::Distribution"))[0] as {
        Properties: { DistributionConfig: Record<string, unknown> };
      }
    ).Properties.DistributionConfig;
    expect(config.DefaultCacheBehavior).toMatchObject({
      AllowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
      CachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", // CachingDisabled
      OriginRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac", // AllViewerExceptHostHeader
      Compress: false,
      ViewerProtocolPolicy: "https-only",
      FunctionAssociations: [{ EventType: "viewer-request", FunctionARN: expect.anything() }],
    });
    // Errors are never served from the cache (CloudFront would keep a 404 for 10 s by default).
    expect(
      (config.CustomErrorResponses as { ErrorCachingMinTTL: number }[]).every((r) => r.ErrorCachingMinTTL === 0),
    ).toBe(true);
    // The stage is the origin path: SDKs are given the distribution's URL.
    const [origin] = config.Origins as { OriginPath: unknown; CustomOriginConfig: Record<string, unknown> }[];
    expect(JSON.stringify(origin!.OriginPath)).toMatch(/DeploymentStagev1/);
    expect(origin!.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: "https-only", OriginReadTimeout: 60 });
    const output = template.findOutputs("GatewayUrl").GatewayUrl as { Value: unknown };
    expect(JSON.stringify(output.Value)).toContain("DomainName");
  });

  it("bundles each Lambda from its own handler, with the price dataset beside only those that price", () => {
    const functions = Object.entries(template.findResources("AWS::Lambda::Function")) as [
      string,
      { Metadata: Record<string, string>; Properties: { Handler: string } },
    ][];
    const pricing = [
      "BatchEngineTask",
      // The FOCUS rows split each batch's cost by the price list's rate of each token kind.
      "FocusReportsDelivery",
      ...Object.entries(frontDoors)
        .filter(([, door]) => door.pricesBatches)
        .map(([id]) => `${id[0]!.toUpperCase()}${id.slice(1)}Dialect`),
    ];
    const bundles = functions.map(([id, fn]) => {
      const dir = join(assemblyDir, fn.Metadata["aws:asset:path"]!);
      expect(fn.Properties.Handler).toBe("index.handler");
      return {
        id,
        code: readFileSync(join(dir, "index.js"), "utf8"),
        prices: existsSync(join(dir, "node_modules/@pydantic/genai-prices/dist/index.cjs")),
        console: Object.values(consoleFileNames).every(({ path }) => existsSync(join(dir, path))),
      };
    });
    // The console's files ship with the FinOps door alone, where its routes read them.
    expect(bundles.filter((bundle) => bundle.console).map(({ id }) => id.replace(/[0-9A-F]{8}$/, ""))).toEqual([
      "GatewayFinopsDialectFunction",
    ]);
    expect(new Set(bundles.map((bundle) => bundle.code)).size).toBe(functions.length);
    for (const { id, prices } of bundles) {
      expect(prices, id).toBe(pricing.some((name) => id.startsWith(`Gateway${name}`)));
    }
    // Each is what its handler serves: the task knows its actions, the reconciler its pass, each door its routes.
    const codeOf = (name: string) => bundles.find(({ id }) => id.startsWith(`Gateway${name}`))!.code;
    expect(codeOf("BatchEngineReconciler")).not.toContain("/v1beta/batches");
    expect(codeOf("GenaiDialect")).toContain("/v1beta/batches");
    expect(codeOf("AnthropicDialect")).toContain("/v1/messages/batches");
  });

  it("gives the staging bucket only to the Lambdas that keep or read files (the FinOps door's estimates read them)", () => {
    const policies = Object.entries(template.findResources("AWS::IAM::Policy"));
    const withS3 = (door: string) =>
      JSON.stringify(policies.filter(([id]) => id.startsWith(`Gateway${door}Dialect`))).includes('"s3:GetObject');
    for (const [id, door] of Object.entries(frontDoors))
      expect(withS3(`${id[0]!.toUpperCase()}${id.slice(1)}`), id).toBe(door.storesFiles);
    expect(withS3("Finops")).toBe(true);
    expect(JSON.stringify(policies.filter(([id]) => id.startsWith("GatewayFinopsDialect")))).toContain(
      "dynamodb:Query",
    );
  });

  it("proxies each mount to its own Lambda on a current Node runtime, a streaming door's HEAD to a buffered one", () => {
    const functions = template.findResources("AWS::Lambda::Function");
    const doors = Object.keys(frontDoors).length;
    const heads = Object.values(frontDoors).filter((door) => "headEntry" in door).length;
    const staged = Object.keys(stagedRoutes).length;
    // and the batch task, reconciler, webhooks, FOCUS delivery
    expect(Object.keys(functions)).toHaveLength(doors + heads + staged + 4);
    const dialects = Object.entries(functions).filter(([id]) => id.includes("Dialect") && !id.includes("HeadDialect"));
    expect(dialects).toHaveLength(doors);
    for (const [, fn] of Object.entries(functions) as [string, { Properties: { Runtime: string } }][]) {
      expect(Number(/nodejs(\d+)/.exec(fn.Properties.Runtime)?.[1])).toBeGreaterThanOrEqual(22);
    }
    // Buffered doors end within API Gateway's 29 s; a streaming door may stream for up to 15 minutes.
    const streaming = Object.entries(frontDoors).filter(([, door]) => door.streamsResponses).length;
    const timeouts = (dialects as [string, { Properties: { Timeout: number } }][]).map(
      ([, fn]) => fn.Properties.Timeout,
    );
    expect(timeouts.filter((t) => t <= 29)).toHaveLength(doors - streaming);
    expect(timeouts.filter((t) => t === 900)).toHaveLength(streaming);
    const methods = Object.values(template.findResources("AWS::ApiGateway::Method")) as {
      Properties: { HttpMethod: string; Integration: unknown };
    }[];
    const proxied = methods.filter((m) => !/"Type":"(AWS|MOCK)"/.test(JSON.stringify(m.Properties.Integration)));
    const integrations = proxied.map((m) => JSON.stringify(m.Properties.Integration));
    expect(integrations).toHaveLength(2 * doors + 2 * heads); // ANY (and HEAD) on the mount and on its {proxy+}
    for (const integration of integrations) expect(integration).toContain('"Type":"AWS_PROXY"');
    expect(integrations.filter((i) => i.includes('"ResponseTransferMode":"STREAM"'))).toHaveLength(2 * streaming);
    expect(integrations.filter((i) => i.includes("/response-streaming-invocations"))).toHaveLength(2 * streaming);
    expect(new Set(integrations.map((i) => /"([A-Za-z]+DialectFunction[A-F0-9]+)"/.exec(i)?.[1])).size).toBe(
      doors + heads,
    );
    // HEAD answers buffered (its Content-Length is passed as documented), never through a streaming integration.
    const headMethods = proxied.filter((m) => m.Properties.HttpMethod === "HEAD");
    expect(headMethods).toHaveLength(2 * heads);
    for (const m of headMethods) expect(JSON.stringify(m.Properties.Integration)).not.toContain("STREAM");
  });

  it("stores each staged route's body straight into the bucket, admitted by its own uncached Lambda authorizer", () => {
    const staged = Object.values(template.findResources("AWS::ApiGateway::Method")).filter((m) =>
      JSON.stringify(m).includes('"Type":"AWS"'),
    ) as { Properties: { HttpMethod: string; AuthorizationType: string; Integration: Record<string, unknown> } }[];
    expect(staged.map((m) => m.Properties.HttpMethod).sort()).toEqual(
      Object.values(stagedRoutes)
        .map((route) => route.method)
        .sort(),
    );
    for (const method of staged) {
      expect(method.Properties.AuthorizationType).toBe("CUSTOM");
      const integration = JSON.stringify(method.Properties.Integration);
      expect(integration).toContain(":s3:path/");
      expect(integration).toContain("/staged/uploads/{session}/chunks/{chunk}");
      expect(method.Properties.Integration).toMatchObject({
        IntegrationHttpMethod: "PUT",
        RequestParameters: {
          "integration.request.path.session": "context.authorizer.session",
          "integration.request.path.chunk": "context.authorizer.chunk",
        },
      });
    }
    // S3 answers `ETag`, and integration response mappings are case-sensitive; the status is set as documented, an
    // integer literal per status the authorizer may name.
    const s3Bodies = staged.find((m) => m.Properties.HttpMethod === "PUT")!;
    expect(JSON.stringify(s3Bodies.Properties.Integration)).toContain('"integration.response.header.ETag"');
    const template200 = JSON.stringify(s3Bodies.Properties.Integration);
    expect(template200).toContain("#set($context.responseOverride.status = 404)");
    expect(template200).not.toContain("responseOverride.status = $context");
    template.resourceCountIs("AWS::ApiGateway::Authorizer", Object.keys(stagedRoutes).length);
    template.hasResourceProperties("AWS::ApiGateway::Authorizer", { Type: "REQUEST", AuthorizerResultTtlInSeconds: 0 });
    template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "ACCESS_DENIED",
      StatusCode: "403",
      ResponseTemplates: { "application/json": "$context.authorizer.body" },
    });
    // The API may only put objects, and only under the upload prefix.
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: [
          {
            Action: "s3:PutObject",
            Effect: "Allow",
            Resource: { "Fn::Join": ["", [Match.anyValue(), "/staged/uploads/*"]] },
          },
        ],
      },
    });
  });

  it("keeps staged bytes in an encrypted, private, SSL-only bucket that expires them", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: "Enabled" })]),
      },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("has an on-demand table with PITR, TTL, a per-tenant index sorted newest first and the watch index", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: tableSchema.ttlAttribute, Enabled: true },
      KeySchema: [{ AttributeName: tableSchema.partitionKey, KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: tableSchema.tenantIndex,
          KeySchema: [
            { AttributeName: tableSchema.tenantIndexPartitionKey, KeyType: "HASH" },
            { AttributeName: tableSchema.tenantIndexSortKey, KeyType: "RANGE" },
          ],
        }),
        Match.objectLike({
          IndexName: tableSchema.watchIndex,
          KeySchema: [
            { AttributeName: tableSchema.watchIndexPartitionKey, KeyType: "HASH" },
            { AttributeName: tableSchema.tenantIndexSortKey, KeyType: "RANGE" },
          ],
        }),
      ],
    });
  });

  it("gives Bedrock a role only Bedrock jobs of this account can assume, limited to the staging prefixes", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: "bedrock.amazonaws.com" },
            Condition: {
              StringEquals: { "aws:SourceAccount": env.account },
              ArnLike: { "aws:SourceArn": Match.anyValue() },
            },
          }),
        ],
      },
    });
    const roles = template.findResources("AWS::IAM::Role", {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: "bedrock.amazonaws.com" } })],
        },
      },
    });
    const [roleId] = Object.keys(roles);
    const policies = template.findResources("AWS::IAM::Policy", { Properties: { Roles: [{ Ref: roleId }] } });
    type Statement = { Action: string; Resource: unknown; Condition?: Record<string, unknown> };
    const statements = Object.values(policies).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    expect(statements.map((s) => s.Action).sort()).toEqual([
      "bedrock:InvokeModel",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
    ]);
    const resources = JSON.stringify(statements.map((s) => s.Resource));
    expect(resources).toContain(`/${stagingPrefix.bedrockInput}*`);
    expect(resources).toContain(`/${stagingPrefix.bedrockOutput}*`);
    expect(resources).not.toContain(`/${stagingPrefix.files}`);
    // As AWS documents the role: ListBucket on the bucket (no s3:prefix condition Bedrock may not meet)…
    const list = statements.find((s) => s.Action === "s3:ListBucket");
    expect(JSON.stringify(list?.Condition ?? {})).not.toContain("s3:prefix");
    // …and InvokeModel, which jobs on cross-Region and application inference profiles need.
    const invoke = JSON.stringify(statements.find((s) => s.Action === "bedrock:InvokeModel")?.Resource);
    for (const kind of ["foundation-model/*", ":inference-profile/*", ":application-inference-profile/*"])
      expect(invoke).toContain(kind);
    // Global cross-Region inference profiles reach foundation models with no Region in their ARN: granted by name.
    expect(invoke).toContain(":bedrock:::foundation-model/*");
  });

  it("sets API Gateway's account CloudWatch role before the logged stage is created, and keeps it on delete", () => {
    template.resourceCountIs("AWS::ApiGateway::Account", 1);
    const [accountId] = Object.keys(template.findResources("AWS::ApiGateway::Account"));
    template.hasResource("AWS::ApiGateway::Account", { DeletionPolicy: "Retain" });
    template.hasResource("AWS::ApiGateway::Stage", { DependsOn: Match.arrayWith([accountId]) });
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: "apigateway.amazonaws.com" } })],
      },
      ManagedPolicyArns: [
        Match.objectLike({
          "Fn::Join": Match.arrayWith([
            Match.arrayWith([Match.stringLikeRegexp("AmazonAPIGatewayPushToCloudWatchLogs")]),
          ]),
        }),
      ],
    });
  });

  it("runs batches on a logged, traced Standard state machine whose tasks are one Lambda", () => {
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: "ALL" }),
    });
    const [machine] = Object.values(template.findResources("AWS::StepFunctions::StateMachine")) as {
      Properties: { DefinitionString: unknown };
    }[];
    const definition = JSON.stringify(machine!.Properties.DefinitionString);
    for (const state of ["Submit", "WaitForUpstream", "Poll", "Collect", "MarkFailed"])
      expect(definition).toContain(state);
    const [taskId] = Object.keys(template.findResources("AWS::Lambda::Function", { Properties: { Timeout: 900 } }));
    expect(taskId).toBeDefined();
    expect(definition).toContain(taskId);
  });

  it("lets the task pass the Bedrock role only to Bedrock, and read the provider keys", () => {
    const policies = Object.values(template.findResources("AWS::IAM::Policy")).map((p) => JSON.stringify(p));
    const task = policies.find((p) => p.includes("iam:PassRole"));
    expect(task).toContain('"iam:PassedToService":"bedrock.amazonaws.com"');
    expect(task).toContain("secretsmanager:GetSecretValue");
    expect(task).toContain("bedrock:CreateModelInvocationJob");
    expect(task).toContain("application-inference-profile/*");
    expect(task).toContain("aws-marketplace:Subscribe"); // first use of a third-party model
  });

  it("expires the parts of uploads nobody completed after a day", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: stagingPrefix.uploads, ExpirationInDays: 1 })]),
      },
    });
  });

  it("lets every Lambda abort the multipart uploads its blob store starts", () => {
    const objectStatements = Object.values(template.findResources("AWS::IAM::Policy"))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
            .PolicyDocument.Statement,
      )
      .map((st) => [st.Action].flat())
      .filter((actions) => actions.includes("s3:GetObject") && actions.includes("s3:PutObject"));
    expect(objectStatements.length).toBeGreaterThan(0);
    for (const actions of objectStatements) expect(actions).toContain("s3:AbortMultipartUpload");
  });

  it("gives each front door's Lambda what its registry row says: the state machine only where it starts batches", () => {
    type Fn = { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const functions = Object.values(template.findResources("AWS::Lambda::Function")) as Fn[];
    const byEntry = (entry: string) =>
      functions.filter((fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === `finops-${entry}`);
    for (const door of Object.values(frontDoors)) {
      const [fn, ...others] = byEntry(door.entry);
      expect(others, door.entry).toHaveLength(0);
      const variables = fn?.Properties.Environment.Variables ?? {};
      expect(variables.STATE_MACHINE_ARN !== undefined, door.entry).toBe(door.startsBatches);
      expect(variables.TASK_FUNCTION_NAME !== undefined, door.entry).toBe(door.startsBatches);
      expect(variables.ACCOUNT_ID !== undefined, door.entry).toBe(door.needsAccountId);
    }
    // A front door that keeps upload parts may list them (a missing part is a 404, a cancel frees them all).
    const listsUploads = (entry: string) =>
      JSON.stringify(template.toJSON()).includes(`"s3:prefix":["${stagingPrefix.uploads}*"]`) &&
      Object.entries(template.findResources("AWS::IAM::Policy")).some(
        ([, p]) =>
          JSON.stringify(p).includes(`${stagingPrefix.uploads}*`) &&
          JSON.stringify(p).includes(`${entry === "openai" ? "Openai" : "Genai"}Dialect`),
      );
    expect(listsUploads("openai")).toBe(true);
    expect(listsUploads("genai")).toBe(true);
    expect(byEntry("batch-task")).toHaveLength(1);
  });

  it("delivers FOCUS files daily to a bucket that keeps them, under a Glue table of the very columns the files hold", () => {
    const [deliveryId, delivery] = Object.entries(
      template.findResources("AWS::Lambda::Function", {
        Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: "finops-focus-delivery" } } },
      }),
    )[0] as [string, { Properties: { Environment: { Variables: Record<string, { Ref?: string }> } } }];
    const bucketId = delivery.Properties.Environment.Variables.REPORTS_BUCKET?.Ref;
    const bucket = template.toJSON().Resources[bucketId!] as {
      Properties: { LifecycleConfiguration: { Rules: Record<string, unknown>[] } };
    };
    // Kept: no rule expires a current file (only versions a later delivery replaced).
    for (const rule of bucket.Properties.LifecycleConfiguration.Rules) expect(rule.ExpirationInDays).toBeUndefined();
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(0 2 * * ? *)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [deliveryId, "Arn"] } })],
    });
    const [table] = Object.values(template.findResources("AWS::Glue::Table")) as {
      Properties: {
        TableInput: {
          PartitionKeys: { Name: string }[];
          Parameters: Record<string, unknown>;
          StorageDescriptor: { Columns: { Name: string; Type: string }[]; Location: unknown };
        };
      };
    }[];
    const input = table!.Properties.TableInput;
    expect(input.StorageDescriptor.Columns).toEqual(
      focusColumns.map((name) => ({
        Name: name.toLowerCase(),
        Type: { decimal: "double", datetime: "timestamp", string: "string" }[focusColumnKinds[name] ?? "string"],
      })),
    );
    expect(input.PartitionKeys).toEqual([{ Name: focusPartitionColumn, Type: "string" }]);
    // Partition projection finds each month where the delivery writes it (lambdas/core/focus-layout.ts).
    const template_ = JSON.stringify(input.Parameters["storage.location.template"]);
    const month = "2026-12";
    const key = focusReportKey("parquet", month);
    expect(template_.replace(`\${${focusPartitionColumn}}`, month)).toContain(key.slice(0, key.lastIndexOf("/") + 1));
    expect(input.Parameters).toMatchObject({
      "projection.enabled": "true",
      "projection.billing_period.format": "yyyy-MM",
      "projection.billing_period.interval.unit": "MONTHS",
    });
  });

  it("starts the provider keys secret as an empty JSON object, which the task reads as no keys", () => {
    template.hasResourceProperties("AWS::SecretsManager::Secret", { SecretString: "{}" });
  });

  it("requires gateway credentials by default, their secrets sealed by a rotated KMS key the dialects can only decrypt with", () => {
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    const dialects = Object.entries(template.findResources("AWS::Lambda::Function")).filter(([id]) =>
      id.includes("Dialect"),
    );
    for (const [, fn] of dialects as [
      string,
      { Properties: { Environment: { Variables: Record<string, unknown> } } },
    ][]) {
      expect(fn.Properties.Environment.Variables.FINOPS_AUTH).toBe("keys");
    }
    const kmsActions = Object.values(template.findResources("AWS::IAM::Policy"))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
            .PolicyDocument.Statement,
      )
      .flatMap((st) => [st.Action].flat())
      .filter((a) => a.startsWith("kms:"));
    expect(new Set(kmsActions)).toEqual(new Set(["kms:Decrypt"]));
  });

  it("has a Secrets Manager secret for the provider keys", () => {
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
    template.hasOutput("ProviderKeysSecretName", {});
  });

  it("passes cdk-nag's AwsSolutions checks, every remaining finding acknowledged with a reason", () => {
    expect(nagFindings((app) => new GatewayStack(app, "Gw", { env }))).toEqual([]);
  });

  it("the nag probe does report findings (so the check above can fail)", () => {
    const findings = nagFindings((app) => {
      const stack = new Stack(app, "Bad", { env });
      new Bucket(stack, "Plain");
      return stack;
    });
    expect(findings).toEqual(expect.arrayContaining(["AwsSolutions-S10 at Bad/Plain/Resource"]));
  });
});
