/**
 * `npm run keys -- <create|list|enable|disable|delete|budget|tags|webhook|buckets> [--name NAME] [--monthly-usd N|none]
 * [--set key=value,…|none] [--url URL|none] [--allow bucket/prefix/ …|none] [--json]`: manages gateway credentials,
 * their monthly budgets, their cost allocation tags, their batch-ended webhooks and the places in the account's own
 * buckets their Bedrock jobs may use.
 *   Deployed stack: `--stack NAME` (its outputs give the table and key, in its region), or TABLE_NAME and
 *   CREDENTIALS_KMS_KEY (the stack outputs); with AWS credentials.
 *   Local mode: works on FINOPS_DATA_DIR (default .finops-local), through the running gateway's emulator if any.
 * `create` prints the API key and the AWS key pair once; only a hash and a sealed secret are stored.
 */

import { KMSClient } from "@aws-sdk/client-kms";
import { parseTags } from "../lambdas/core/allocation";
import { microUsd, monthOf, usdText } from "../lambdas/core/budgets";
import { type CredentialStore, createCredential, type SecretSealer } from "../lambdas/core/credentials";
import { parseGrant, placesShown } from "../lambdas/core/job-places";
import { setWebhook, type WebhookShape, webhookShapes } from "../lambdas/core/webhooks";
import { DynamoBudgetLedger } from "../lambdas/state/dynamo-budget-ledger";
import { DynamoCredentialStore } from "../lambdas/state/dynamo-credential-store";
import { DynamoJobGrantStore } from "../lambdas/state/dynamo-job-grant-store";
import { DynamoTagStore } from "../lambdas/state/dynamo-tag-store";
import { DynamoWebhookStore } from "../lambdas/state/dynamo-webhook-store";
import { KmsSealer } from "../lambdas/state/sealers";
import { commandLine, printerFor } from "./cli";
import { localSealer } from "./credentials";
import { openTable } from "./table";

const usage =
  "Usage: npm run keys -- <create|list|enable|disable|delete|budget|tags|webhook|buckets> [--name NAME] " +
  "[--monthly-usd N|none] [--set key=value,…|none] [--url URL|none] [--shape finops|openai] [--allow bucket/prefix/ …|none] [--stack NAME] " +
  "[--json]";
/** The command line, or its usage and why it is not one (never a stack trace). */
const { positionals, values } = commandLine(
  {
    allowPositionals: true,
    options: {
      name: { type: "string" },
      "monthly-usd": { type: "string" },
      set: { type: "string" },
      url: { type: "string" },
      shape: { type: "string" },
      allow: { type: "string", multiple: true },
      stack: { type: "string" },
      json: { type: "boolean" },
    },
  },
  usage,
);
const [command] = positionals;
const print = printerFor(values.json);

const open = async (): Promise<{
  store: CredentialStore;
  sealer: SecretSealer;
  budgets: DynamoBudgetLedger;
  tags: DynamoTagStore;
  webhooks: DynamoWebhookStore;
  jobGrants: DynamoJobGrantStore;
  close: () => Promise<void>;
  where: string;
  openMode: boolean;
}> => {
  const table = await openTable(values.stack);
  const sealer = table.dataDir
    ? await localSealer(table.dataDir)
    : new KmsSealer(new KMSClient({ region: table.region }), table.kmsKey ?? requiredEnv("CREDENTIALS_KMS_KEY"));
  return {
    store: new DynamoCredentialStore(table.dynamo, table.tableName),
    sealer,
    budgets: new DynamoBudgetLedger(table.dynamo, table.tableName),
    tags: new DynamoTagStore(table.dynamo, table.tableName),
    webhooks: new DynamoWebhookStore(table.dynamo, table.tableName),
    jobGrants: new DynamoJobGrantStore(table.dynamo, table.tableName),
    close: table.close,
    where: table.where,
    openMode: table.openMode === true,
  };
};

const requiredEnv = (name: string): string => {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `Give --stack NAME, or set ${name} (a stack output), to manage the deployed gateway's credentials.`,
    );
  return value;
};

const requireName = (): string => {
  if (!values.name) throw new Error("Give the credential a --name.");
  return values.name;
};

const { store, sealer, budgets, tags, webhooks, jobGrants, close, where, openMode } = await open().catch(
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
try {
  switch (command) {
    case "create": {
      const created = await createCredential(store, sealer, requireName());
      print.result(
        `Created credential ${created.record.name} in ${where}. These secrets are shown once:
  API key (OpenAI, Anthropic, GenAI SDKs):  ${created.apiKey}
  AWS access key id (S3, Bedrock SDKs):      ${created.record.accessKeyId}
  AWS secret access key:                     ${created.secretAccessKey}`,
        {
          name: created.record.name,
          apiKey: created.apiKey,
          accessKeyId: created.record.accessKeyId,
          secretAccessKey: created.secretAccessKey,
        },
      );
      break;
    }
    case "list": {
      const month = monthOf(Date.now());
      const credentials = await store.list();
      const rows = [];
      for (const r of credentials) {
        const limit = await budgets.limitOf(r.tenant);
        const used = limit === undefined ? undefined : await budgets.committed(r.tenant, month);
        rows.push({
          name: r.name,
          status: r.status,
          accessKeyId: r.accessKeyId,
          created: new Date(r.createdAt).toISOString(),
          budget: limit === undefined ? null : { monthlyUsd: limit / 1e6, usedUsd: (used ?? 0) / 1e6, month },
          webhook: (await webhooks.get(r.tenant))?.url ?? null,
          jobBuckets: placesShown(await jobGrants.get(r.tenant)) || null,
          tags: await tags.of(r.tenant),
        });
      }
      const text =
        rows.length === 0
          ? `No credentials in ${where}. Create one: npm run keys -- create --name team-a`
          : [
              ["name", "status", "access key id", "created", "budget", "tags", "webhook", "job buckets"],
              ...rows.map((row) => [
                row.name,
                row.status,
                row.accessKeyId,
                row.created,
                row.budget
                  ? `budget ${usdText(microUsd(row.budget.monthlyUsd))}/month, ` +
                    `${usdText(microUsd(row.budget.usedUsd))} used in ${month}`
                  : "no budget",
                Object.entries(row.tags)
                  .map(([key, value]) => `${key}=${value}`)
                  .join(",") || "no tags",
                row.webhook ?? "no webhook",
                row.jobBuckets ?? "no job buckets",
              ]),
            ]
              .map((cells) => cells.join("\t"))
              .join("\n");
      print.result(text, rows);
      break;
    }
    case "budget": {
      const given = values["monthly-usd"] ?? "";
      // Dollars as a plain decimal (`25`, `0.5`): not `0x10`, `1e3`, an empty value or a negative one.
      if (given !== "none" && !(/^\d+(\.\d+)?$/.test(given) && Number(given) > 0))
        throw new Error(
          `--monthly-usd takes US dollars per calendar month (UTC) as a positive decimal such as 25 or 0.5, or none ` +
            `to remove the budget; ${JSON.stringify(given)} is not one.`,
        );
      const usd = given === "none" ? undefined : Number(given);
      const record = await store.byName(requireName());
      if (!record) throw new Error(`No credential named ${values.name}.`);
      await budgets.setLimit(record.tenant, usd === undefined ? undefined : microUsd(usd));
      print.result(
        usd === undefined ? `${record.name}: no budget.` : `${record.name}: budget $${usd.toFixed(2)} per month.`,
        { name: record.name, monthlyUsd: usd ?? null },
      );
      break;
    }
    case "tags": {
      const given = values.set;
      if (given === undefined)
        throw new Error("Give the tags: --set team=search,cost-centre=4410 (or --set none to remove them).");
      const set = given === "none" ? {} : parseTags(given, "--set");
      const record = await store.byName(requireName());
      if (!record) throw new Error(`No credential named ${values.name}.`);
      await tags.set(record.tenant, set);
      const shown = Object.entries(set).map(([key, value]) => `${key}=${value}`);
      print.result(
        shown.length === 0
          ? `${record.name}: no tags.`
          : `${record.name}: its batches' costs carry ${shown.join(", ")} (and the batch's own tags over them).`,
        { name: record.name, tags: set },
      );
      break;
    }
    case "webhook": {
      const record = await store.byName(requireName());
      if (!record) throw new Error(`No credential named ${values.name}.`);
      if (!values.url)
        throw new Error("Give --url https://… (where batch-ended events go), or --url none to stop them.");
      const shape = (values.shape ?? "finops") as WebhookShape;
      if (!webhookShapes.includes(shape))
        throw new Error(
          `--shape is finops (the gateway's batch.ended event, every SDK's ids) or openai (OpenAI's batch.completed, ` +
            `batch.failed, … events, which the OpenAI SDK's webhooks.unwrap() verifies); not ${JSON.stringify(shape)}.`,
        );
      const url = values.url === "none" ? undefined : values.url;
      const secret = await setWebhook(webhooks, sealer, record.tenant, url, shape);
      print.result(
        secret === undefined
          ? `${record.name}: no webhook.`
          : `${record.name}: batch-ended events go to ${values.url}${shape === "openai" ? " as OpenAI's batch events" : ""}, ` +
              `signed per Standard Webhooks (webhook-id,
webhook-timestamp, webhook-signature headers). The signing secret is shown once:
  ${secret}`,
        { name: record.name, url: secret === undefined ? null : values.url, shape, secret: secret ?? null },
      );
      break;
    }
    case "buckets": {
      const record = await store.byName(requireName());
      if (!record) throw new Error(`No credential named ${values.name}.`);
      const allow = (values.allow ?? []).flatMap((value) => value.split(",")).filter(Boolean);
      if (allow.length === 0)
        throw new Error(
          "Give --allow bucket/prefix/ (repeatable) for the places this key's Bedrock jobs may read and write, " +
            "or --allow none to take them all back.",
        );
      const places = allow.length === 1 && allow[0] === "none" ? [] : allow.map(parseGrant);
      await jobGrants.set(record.tenant, places);
      print.result(
        places.length === 0
          ? `${record.name}: its jobs may use none of the account's buckets.`
          : `${record.name}: its jobs may read and write under ${placesShown(places)} (as far as the stack's ` +
              "jobBuckets reach: that setting is the ceiling of every grant).",
        { name: record.name, jobBuckets: placesShown(places) || null },
      );
      break;
    }
    case "enable":
    case "disable":
      if (!(await store.setStatus(requireName(), command === "enable" ? "enabled" : "disabled")))
        throw new Error(`No credential named ${values.name}.`);
      print.result(`${values.name} ${command}d.`, { name: values.name, status: `${command}d` });
      break;
    case "delete":
      if (!(await store.delete(requireName()))) throw new Error(`No credential named ${values.name}.`);
      print.result(`${values.name} deleted.`, { name: values.name, status: "deleted" });
      break;
    default:
      throw new Error(usage);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await close();
}
// In open mode no caller is a credential, so what a credential holds waits for keys mode: say so, never in silence.
if (openMode && command !== "delete" && !process.exitCode)
  print.note(
    "Note: the running gateway is in open mode (every key works, none is a credential): budgets, webhooks and " +
      "job-bucket grants apply once it runs with FINOPS_AUTH=keys.",
  );
