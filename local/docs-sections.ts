import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { carriage } from "../lambdas/core/carriage";
import { batchEndpoints, endpointRefusal, passesThrough } from "../lambdas/core/endpoints";
import { Provider } from "../lambdas/core/model";
import { batchStateMachineDefinition } from "../lib/batch-definition";
import { htmlTable, repoRoot, wrap } from "./docs";

/** The conversion table, feature × provider, from the rows the gateway refuses and converts by. */
export const carriageSection = (): string => {
  const providers = Object.values(Provider);
  return htmlTable(
    ["Feature", ...providers],
    carriage.map((feature) => [
      feature.name,
      ...providers.map((p) => {
        const cell = feature.on[p];
        return typeof cell === "string" ? cell : `refused: ${cell.refused}`;
      }),
    ]),
  );
};

/** The props of `FinOpsGateway` (name, type, default, description), read from their TSDoc in lib/finops-gateway.ts. */
export const constructPropsSection = (): string => {
  const path = join(repoRoot, "lib/finops-gateway.ts");
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const props = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === "FinOpsGatewayProps",
  );
  if (!props) throw new Error(`${path} no longer declares FinOpsGatewayProps`);
  const rows = props.members.filter(ts.isPropertySignature).map((member) => {
    const doc = ts.getJSDocCommentsAndTags(member).find(ts.isJSDoc);
    const description = ts.getTextOfJSDocComment(doc?.comment) ?? "";
    const fallback = doc?.tags?.find((t) => t.tagName.text === "default");
    const type = (member.type?.getText(source) ?? "").replace(/\s+/g, " ");
    return [
      `\`${member.name.getText(source)}\``,
      `\`${type}\``,
      ts.getTextOfJSDocComment(fallback?.comment)?.trim() ?? "",
      description.replace(/\s+/g, " ").trim(),
    ];
  });
  return htmlTable(["prop", "type", "default", "description"], rows);
};

/**
 * What each resource type the stack creates is for and what it costs while no batch runs, in USD a month at
 * us-east-1 list prices (checked 2026-12; the services' pricing pages). Every type the template holds must be
 * here: a new one fails test/lib/gateway-stack.test.ts until it is described and priced.
 */
const resourceTypes: Record<string, { what: string; idleUsd: number; note?: string; kept?: string }> = {
  "AWS::CloudFront::Distribution": { what: "the gateway's URL (nothing cached)", idleUsd: 0 },
  "AWS::CloudFront::Function": { what: "the viewer-request function (base path, early 413s)", idleUsd: 0 },
  "AWS::ApiGateway::RestApi": { what: "the regional REST API, a mount per SDK", idleUsd: 0 },
  "AWS::ApiGateway::Resource": { what: "the API's paths", idleUsd: 0 },
  "AWS::ApiGateway::Method": { what: "the API's methods", idleUsd: 0 },
  "AWS::ApiGateway::Authorizer": { what: "authorizers of the routes whose bodies go straight to S3", idleUsd: 0 },
  "AWS::ApiGateway::Deployment": { what: "the API's deployment", idleUsd: 0 },
  "AWS::ApiGateway::Stage": { what: "stage `v1`: throttled, access-logged, traced", idleUsd: 0 },
  "AWS::ApiGateway::GatewayResponse": { what: "API Gateway's own errors in a JSON envelope", idleUsd: 0 },
  "AWS::ApiGateway::Account": {
    what: "the account's API Gateway CloudWatch role setting (kept on delete)",
    idleUsd: 0,
  },
  "AWS::Lambda::Function": {
    what: "a Lambda per front door, the batch task, the reconciler, the webhook sender, the FOCUS delivery",
    idleUsd: 0,
  },
  "AWS::Lambda::Permission": { what: "who may invoke each Lambda", idleUsd: 0 },
  "AWS::Lambda::EventSourceMapping": {
    what: "the webhook queue feeding its sender",
    idleUsd: 0,
    note: "its long polls are SQS requests, within SQS's free million a month",
  },
  "AWS::StepFunctions::StateMachine": {
    what: "the batch state machine (Standard), one execution per batch",
    idleUsd: 0,
  },
  "AWS::DynamoDB::Table": {
    what: "files, batches, credentials, budgets (on demand, point-in-time recovery)",
    idleUsd: 0,
    note: "storage and backups at $0.45 per GB-month: cents for most gateways",
  },
  "AWS::S3::Bucket": {
    what: "the staging bucket (uploads, staged inputs, results; objects expire); the FOCUS reports bucket (kept)",
    idleUsd: 0,
    note: "a month of FOCUS files is kilobytes to a few megabytes",
  },
  "AWS::Glue::Database": { what: "the database of the FOCUS table", idleUsd: 0 },
  "AWS::Glue::Table": {
    what: "the FOCUS Parquet files as a table for Athena, by billing month (partition projection)",
    idleUsd: 0,
    note: "within the Data Catalog's free million objects; Athena bills $5 per TB a query scans",
  },
  "AWS::S3::BucketPolicy": { what: "SSL only", idleUsd: 0 },
  "AWS::IAM::Role": {
    what: "each Lambda's role, the Bedrock batch role, the state machine's role",
    idleUsd: 0,
    kept: "API Gateway's account-level CloudWatch role (other APIs of the account may log through it)",
  },
  "AWS::IAM::Policy": { what: "their grants", idleUsd: 0 },
  "AWS::KMS::Key": { what: "seals gateway credentials' AWS secrets", idleUsd: 1 },
  "AWS::SecretsManager::Secret": { what: "the provider keys", idleUsd: 0.4 },
  "AWS::Events::EventBus": { what: "batch-ended events", idleUsd: 0 },
  "AWS::Events::Rule": {
    what: "the reconciler's 15-minute schedule; the FOCUS delivery's daily one; batch ends to the webhook queue",
    idleUsd: 0,
    note: "2,880 reconciler and 30 delivery runs a month, within Lambda's free tier",
  },
  "AWS::SQS::Queue": { what: "the webhook queue and its dead-letter queue", idleUsd: 0 },
  "AWS::SQS::QueuePolicy": { what: "EventBridge may send to the queue", idleUsd: 0 },
  "AWS::Logs::LogGroup": { what: "each Lambda's, the state machine's and the API's access logs", idleUsd: 0 },
  "AWS::CloudWatch::Alarm": {
    what: "the alarms (see operations.md)",
    idleUsd: 0.1,
    note: "$0.10 each; the account's first 10 are free",
  },
  "AWS::CloudWatch::Dashboard": {
    what: "the gateway's dashboards",
    idleUsd: 3,
    note: "$3 each; the account's first 3 are free",
  },
};

const usd = (amount: number) => `$${amount.toFixed(2)}`;

/** The stack's resources by type, from a synthesized template, with each type's idle monthly cost. */
export const stackResourcesSection = (template: { Resources?: Record<string, { Type: string }> }): string => {
  const counts = new Map<string, number>();
  for (const { Type } of Object.values(template.Resources ?? {})) counts.set(Type, (counts.get(Type) ?? 0) + 1);
  const unknown = [...counts.keys()].filter((type) => !resourceTypes[type]);
  if (unknown.length) throw new Error(`Describe and price these resource types in local/docs-sections.ts: ${unknown}`);
  const types = [...counts.keys()].sort();
  const total = types.reduce((sum, type) => sum + (counts.get(type) ?? 0) * (resourceTypes[type]?.idleUsd ?? 0), 0);
  const table = htmlTable(
    ["resource type", "count", "what it is", "idle a month"],
    types.map((type) => {
      const { what, idleUsd, note } = resourceTypes[type] ?? { what: "", idleUsd: 0 };
      const count = counts.get(type) ?? 0;
      return [`\`${type}\``, String(count), what, `${usd(count * idleUsd)}${note ? ` (${note})` : ""}`];
    }),
  );
  return [
    table,
    "",
    ...wrap(`Idle, the stack costs at most ${usd(total)} a month at list prices, before free tiers.`),
  ].join("\n");
};

/** What `cdk destroy` leaves behind: the template's resources whose deletion policy retains them, by type. */
export const stackRetainedSection = (template: {
  Resources?: Record<string, { Type: string; DeletionPolicy?: string }>;
}): string => {
  const counts = new Map<string, number>();
  for (const { Type, DeletionPolicy } of Object.values(template.Resources ?? {}))
    if (DeletionPolicy === "Retain" || DeletionPolicy === "RetainExceptOnCreate")
      counts.set(Type, (counts.get(Type) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .flatMap((type) => {
      const [first = "", ...rest] = wrap(
        `${counts.get(type)} × \`${type}\`: ${resourceTypes[type]?.kept ?? resourceTypes[type]?.what}`,
        "  ",
        118,
      );
      return [`- ${first.trimStart()}`, ...rest];
    })
    .join("\n");
};

/** The batch state machine as a Mermaid state diagram, drawn from the very ASL the stack deploys. */
export const stateMachineSection = (): string => {
  const { StartAt, States } = batchStateMachineDefinition("task") as {
    StartAt: string;
    States: Record<string, AslState>;
  };
  const edges = [`[*] --> ${StartAt}`];
  for (const [name, state] of Object.entries(States)) {
    for (const choice of state.Choices ?? []) edges.push(`${name} --> ${choice.Next}: ${choice.StringEquals}`);
    if (state.Default) edges.push(`${name} --> ${state.Default}: otherwise`);
    if (state.Next) edges.push(`${name} --> ${state.Next}`);
    for (const handler of state.Catch ?? []) edges.push(`${name} --> ${handler.Next}: error`);
    if (state.Type === "Succeed") edges.push(`${name} --> [*]`);
  }
  return ["```mermaid", "stateDiagram-v2", ...edges.map((edge) => `  ${edge}`), "```"].join("\n");
};

interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { StringEquals: string; Next: string }[];
  Catch?: { Next: string }[];
}

/** The endpoints a batch may target × the providers, each cell what runs or the refusal, from core/endpoints.ts. */
export const endpointsSection = (): string => {
  const providers = Object.values(Provider);
  return htmlTable(
    ["endpoint", ...providers],
    batchEndpoints.map((endpoint) => [
      `\`${endpoint}\``,
      ...providers.map((provider) =>
        endpointRefusal(endpoint, provider, "openai")
          ? "400 at create, naming where it runs"
          : endpoint === "/v1/embeddings" && provider === "bedrock"
            ? "converted: Titan Text Embeddings V2 records, answers as OpenAI embedding responses"
            : endpoint === "/v1/embeddings" && provider === "gemini"
              ? "converted: Gemini embed requests, answers as OpenAI embedding responses"
              : passesThrough(endpoint) || (provider === "openai" && endpoint !== batchEndpoints[0])
                ? "runs as uploaded; answers as OpenAI gives them"
                : "converted: answers in the calling SDK's shape",
      ),
    ]),
  );
};
