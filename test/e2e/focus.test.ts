import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import Anthropic from "@anthropic-ai/sdk";
import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from "@aws-sdk/client-bedrock";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GoogleGenAI } from "@google/genai";
import { parquetReadObjects } from "hyparquet";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { focusReportKey } from "../../lambdas/core/focus-layout";
import { DynamoRepository } from "../../lambdas/state/dynamo-repository";
import { defaultModels } from "../../local/default-models";
import { localDynamoClient, localNames } from "../../local/emulators";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startKeysGateway, startTestGateway } from "../support/gateway";

const pause = () => new Promise((resolve) => setTimeout(resolve, 50));

type Kind = "decimal" | "string" | "datetime" | "json";
/** FOCUS 1.2's rules for each column the export carries (type, nullability, allowed values), and 1.3's two. */
const rules: Record<string, { kind: Kind; nullable: boolean; allowed?: readonly (string | null)[] }> = {
  AvailabilityZone: { kind: "string", nullable: true },
  BilledCost: { kind: "decimal", nullable: false },
  BillingAccountId: { kind: "string", nullable: false },
  BillingAccountName: { kind: "string", nullable: true },
  BillingAccountType: { kind: "string", nullable: true },
  BillingCurrency: { kind: "string", nullable: false, allowed: ["USD"] },
  BillingPeriodEnd: { kind: "datetime", nullable: false },
  BillingPeriodStart: { kind: "datetime", nullable: false },
  CapacityReservationId: { kind: "string", nullable: true },
  CapacityReservationStatus: { kind: "string", nullable: true, allowed: [null, "Used", "Unused"] },
  ChargeCategory: { kind: "string", nullable: false, allowed: ["Usage", "Purchase", "Tax", "Credit", "Adjustment"] },
  ChargeClass: { kind: "string", nullable: true, allowed: [null, "Correction"] },
  ChargeDescription: { kind: "string", nullable: true },
  ChargeFrequency: { kind: "string", nullable: false, allowed: ["One-Time", "Recurring", "Usage-Based"] },
  ChargePeriodEnd: { kind: "datetime", nullable: false },
  ChargePeriodStart: { kind: "datetime", nullable: false },
  CommitmentDiscountCategory: { kind: "string", nullable: true, allowed: [null, "Spend", "Usage"] },
  CommitmentDiscountId: { kind: "string", nullable: true },
  CommitmentDiscountName: { kind: "string", nullable: true },
  CommitmentDiscountQuantity: { kind: "decimal", nullable: true },
  CommitmentDiscountStatus: { kind: "string", nullable: true, allowed: [null, "Used", "Unused"] },
  CommitmentDiscountType: { kind: "string", nullable: true },
  CommitmentDiscountUnit: { kind: "string", nullable: true },
  ConsumedQuantity: { kind: "decimal", nullable: false },
  ConsumedUnit: { kind: "string", nullable: false },
  ContractedCost: { kind: "decimal", nullable: false },
  ContractedUnitPrice: { kind: "decimal", nullable: false },
  EffectiveCost: { kind: "decimal", nullable: false },
  HostProviderName: { kind: "string", nullable: false },
  InvoiceId: { kind: "string", nullable: true },
  InvoiceIssuerName: { kind: "string", nullable: false },
  ListCost: { kind: "decimal", nullable: false },
  ListUnitPrice: { kind: "decimal", nullable: false },
  PricingCategory: { kind: "string", nullable: false, allowed: ["Standard", "Dynamic", "Committed", "Other"] },
  PricingCurrency: { kind: "string", nullable: false, allowed: ["USD"] },
  PricingCurrencyContractedUnitPrice: { kind: "decimal", nullable: true },
  PricingCurrencyEffectiveCost: { kind: "decimal", nullable: true },
  PricingCurrencyListUnitPrice: { kind: "decimal", nullable: true },
  PricingQuantity: { kind: "decimal", nullable: false },
  PricingUnit: { kind: "string", nullable: false },
  ProviderName: { kind: "string", nullable: false },
  PublisherName: { kind: "string", nullable: false },
  RegionId: { kind: "string", nullable: true },
  RegionName: { kind: "string", nullable: true },
  ResourceId: { kind: "string", nullable: true },
  ResourceName: { kind: "string", nullable: true },
  ResourceType: { kind: "string", nullable: true },
  ServiceCategory: { kind: "string", nullable: false, allowed: ["AI and Machine Learning"] },
  ServiceName: { kind: "string", nullable: false },
  ServiceProviderName: { kind: "string", nullable: false },
  ServiceSubcategory: { kind: "string", nullable: true, allowed: [null, "Generative AI"] },
  SkuId: { kind: "string", nullable: false },
  SkuMeter: { kind: "string", nullable: true },
  SkuPriceDetails: { kind: "json", nullable: true },
  SkuPriceId: { kind: "string", nullable: false },
  SubAccountId: { kind: "string", nullable: true },
  SubAccountName: { kind: "string", nullable: true },
  SubAccountType: { kind: "string", nullable: true },
  Tags: { kind: "json", nullable: true },
};

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line ends. */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
};

/**
 * The FOCUS export (issue 28): a month with batches on all four providers through all four SDKs, as rows a
 * FOCUS-aware tool loads as is — every column meets the rules above, custom columns are `x_`-prefixed, costs agree
 * with unit prices and quantities, and the rows add up to the ledger.
 */
describe("the FOCUS export", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let key: string;
  let tenant: string;
  const ids: string[] = [];

  beforeAll(async () => {
    const started = await startKeysGateway("focus");
    ({ gateway, key } = started);
    const { credential, access } = started;
    tenant = credential.record.tenant;
    await gateway.gateway.tags.set(credential.record.tenant, { team: "search" });

    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: key, maxRetries: 0 });
    const file = await uploadBatchInput(openai, chatLines(defaultModels.openai, ["one", "two"]), "openai");
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { project: "atlas phase/2" },
    });
    ids.push((await waitForBatch(openai, batch.id)).id);

    const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: key, maxRetries: 0 });
    let message = await anthropic.messages.batches.create({
      requests: ["a", "b"].map((content) => ({
        custom_id: content,
        params: { model: defaultModels.anthropic, max_tokens: 32, messages: [{ role: "user" as const, content }] },
      })),
    });
    while (message.processing_status !== "ended") {
      await pause();
      message = await anthropic.messages.batches.retrieve(message.id);
    }
    ids.push(message.id);

    const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: `${gateway.url}/genai` } });
    let job = await ai.batches.create({
      model: defaultModels.gemini,
      src: [{ contents: [{ role: "user", parts: [{ text: "hello" }] }] }],
    });
    while (job.state !== "JOB_STATE_SUCCEEDED") {
      await pause();
      job = await ai.batches.get({ name: job.name! });
    }
    ids.push(job.name!);

    const s3 = new S3Client({
      endpoint: `${gateway.url}/bedrock/files`,
      region: "us-east-1",
      credentials: access,
      forcePathStyle: true,
    });
    const records = ["x", "y"].map((text, i) => ({
      recordId: `R${i}`,
      modelInput: { messages: [{ role: "user", content: [{ text }] }] },
    }));
    await s3.send(
      new PutObjectCommand({
        Bucket: "focus",
        Key: "in.jsonl",
        Body: records.map((r) => JSON.stringify(r)).join("\n"),
      }),
    );
    const bedrock = new BedrockClient({ endpoint: `${gateway.url}/bedrock`, region: "us-east-1", credentials: access });
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: "focus",
        modelId: defaultModels.bedrock,
        roleArn: "arn:aws:iam::123456789012:role/any",
        inputDataConfig: { s3InputDataConfig: { s3Uri: "s3://focus/in.jsonl" } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: "s3://focus/out/" } },
      }),
    );
    while ((await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status !== "Completed")
      await pause();
    ids.push(jobArn!);
  });
  afterAll(() => gateway.stop());

  const get = (path: string) => fetch(`${gateway.url}/finops${path}`, { headers: { authorization: `Bearer ${key}` } });

  it("exports this month as CSV whose every column meets FOCUS's rules, and whose rows add up to the ledger", async () => {
    const response = await get("/v1/focus");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const [header, ...rows] = parseCsv(await response.text());
    for (const column of header!) expect(column in rules || column.startsWith("x_"), column).toBe(true);
    for (const column of Object.keys(rules)) expect(header, column).toContain(column);
    const records = rows.map((cells) => Object.fromEntries(header!.map((column, i) => [column, cells[i] ?? ""])));
    expect(records.length).toBeGreaterThanOrEqual(8); // input and output rows of four batches
    for (const record of records) {
      for (const [column, rule] of Object.entries(rules)) {
        const value = record[column]!;
        const at = `${column} = ${JSON.stringify(value)}`;
        if (value === "") {
          expect(rule.nullable, at).toBe(true);
          if (rule.allowed) expect(rule.allowed, at).toContain(null);
          continue;
        }
        if (rule.allowed) expect(rule.allowed, at).toContain(value);
        if (rule.kind === "decimal") expect(Number.isFinite(Number(value)), at).toBe(true);
        if (rule.kind === "datetime") expect(value, at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        if (rule.kind === "json") expect(typeof JSON.parse(value), at).toBe("object");
      }
      const number = (column: string) => Number(record[column]);
      // Costs agree with unit prices × quantities, and a batch bills its list price.
      expect(number("ListCost")).toBeCloseTo(number("ListUnitPrice") * number("PricingQuantity"), 9);
      expect(number("ContractedCost")).toBeCloseTo(number("ContractedUnitPrice") * number("PricingQuantity"), 9);
      expect(number("BilledCost")).toBe(number("EffectiveCost"));
      expect(number("x_Saving")).toBeCloseTo(number("x_OnDemandCost") - number("BilledCost"), 9);
      expect(Date.parse(record.ChargePeriodStart!)).toBeLessThan(Date.parse(record.ChargePeriodEnd!));
      expect(Date.parse(record.BillingPeriodStart!)).toBeLessThanOrEqual(Date.parse(record.ChargePeriodStart!));
      expect(JSON.parse(record.Tags!)).toMatchObject({ team: "search" });
      expect(record.SubAccountName).toBe("focus"); // the credential's name
      expect(["derived", "published", "override", "on_demand"]).toContain(record.x_PricingSource);
    }
    // The rows of each batch add up to what the ledger settled for it, to the ten-billionth of a dollar.
    for (const id of ids) {
      const ledger = (await (await get(`/v1/batches/${encodeURIComponent(id)}`)).json()) as {
        id: string;
        cost: { batch: number; on_demand: number };
      };
      const own = records.filter((record) => record.x_BatchId === ledger.id);
      expect(own.length, id).toBeGreaterThanOrEqual(2);
      const sum = (column: string) => own.reduce((total, record) => total + Number(record[column]), 0);
      expect(sum("BilledCost")).toBeCloseTo(ledger.cost.batch, 10);
      expect(sum("x_OnDemandCost")).toBeCloseTo(ledger.cost.on_demand, 10);
      expect(Object.values(JSON.parse(own[0]!.x_BatchIds!))).toContain(id);
    }
    const providers = new Set(records.map((record) => record.ServiceProviderName));
    expect([...providers].sort()).toEqual(["Amazon Web Services", "Anthropic", "Google", "OpenAI"]);
    // JSON columns (commas and quotes inside) survive the CSV.
    expect(records.some((record) => JSON.parse(record.Tags!).project === "atlas phase/2")).toBe(true);
  });

  it("answers the same rows as JSON, and an empty period with the header alone", async () => {
    const json = (await (await get("/v1/focus?format=json")).json()) as { data: Record<string, unknown>[] };
    expect(json.data.length).toBeGreaterThanOrEqual(8);
    expect(json.data[0]).toMatchObject({ ChargeCategory: "Usage", ConsumedUnit: "Tokens" });
    const empty = await (await get("/v1/focus?from=2020-01-01&to=2020-02-01")).text();
    expect(empty.trim().split("\r\n")).toHaveLength(1);
    // A misspelt field is refused by name, never read as "this month".
    const typo = await get("/v1/focus?form=2020-01-01");
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: { message: string; param: string } }).error).toEqual(
      expect.objectContaining({
        param: "form",
        message: "Unknown query field 'form': it takes from, to, format, estimates.",
      }),
    );
  });

  it("npm run costs -- --focus writes every key's rows, each named by its credential", async () => {
    // Asynchronously: the CLI reaches the running gateway's emulator, which serves from this process.
    const env = {
      ...process.env,
      FINOPS_DATA_DIR: gateway.dataDir,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const args = ["--import", "tsx", "local/costs.ts", "--focus", "--format", "csv"];
    const run = await promisify(execFile)(process.execPath, args, { env });
    const [header, ...rows] = parseCsv(run.stdout);
    const column = (name: string) => header!.indexOf(name);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(new Set(rows.map((row) => row[column("SubAccountName")]))).toEqual(new Set(["focus"]));
    const api = parseCsv(await (await get("/v1/focus")).text()).slice(1);
    const total = (list: string[][]) => list.reduce((sum, row) => sum + Number(row[column("BilledCost")]), 0);
    expect(total(rows)).toBeCloseTo(total(api), 10);
  }, 60_000);

  it("exports the same rows as Parquet: decimals as numbers, datetimes as timestamps, nulls kept", async () => {
    const response = await get("/v1/focus?format=parquet");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const file = await response.arrayBuffer();
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    const csv = parseCsv(await (await get("/v1/focus")).text());
    expect(rows).toHaveLength(csv.length - 1);
    for (const row of rows) {
      expect(typeof row.BilledCost).toBe("number");
      expect(row.ChargePeriodStart).toBeInstanceOf(Date);
      expect(row.ChargeClass).toBeNull();
      expect(row.ChargeCategory).toBe("Usage");
    }
    const billed = csv[0]!.indexOf("BilledCost");
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(rows.map((row) => row.BilledCost as number))).toBeCloseTo(
      sum(csv.slice(1).map((row) => Number(row[billed]))),
      10,
    );
  });

  it("delivers this month's and last month's files to the reports bucket, again and again the same, never losing a row", async () => {
    const local = gateway.gateway;
    const month = new Date().toISOString().slice(0, 7);
    const read = async (format: "parquet" | "csv", of = month) => {
      const object = await local.s3.send(
        new GetObjectCommand({ Bucket: localNames.reports, Key: focusReportKey(format, of) }),
      );
      return Buffer.from(await object.Body!.transformToByteArray());
    };
    const parquetRows = async (of = month) => {
      const bytes = await read("parquet", of);
      return (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset) })) as Record<string, unknown>[];
    };
    const first = await local.deliverFocus();
    expect(first.map((m) => m.month)).toEqual([
      new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7),
      month,
    ]);
    const api = parseCsv(await (await get("/v1/focus")).text());
    const billed = api[0]!.indexOf("BilledCost");
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const apiTotal = sum(api.slice(1).map((row) => Number(row[billed])));
    let rows = await parquetRows();
    expect(rows).toHaveLength(api.length - 1);
    expect(sum(rows.map((row) => row.BilledCost as number))).toBeCloseTo(apiTotal, 10);
    // The delivery reads the credentials: each row names its key.
    expect(new Set(rows.map((row) => row.SubAccountName))).toEqual(new Set(["focus"]));
    const csv = (await read("csv")).toString("utf8");
    expect(parseCsv(csv)).toHaveLength(api.length);

    // Again: the same files.
    await local.deliverFocus();
    expect((await read("csv")).toString("utf8")).toBe(csv);

    // A batch the table no longer holds (its retention passed) keeps its rows in the month's file.
    const openaiBatch = (await (await get(`/v1/batches/${encodeURIComponent(ids[0]!)}`)).json()) as { id: string };
    const endpoints = JSON.parse(await readFile(join(gateway.dataDir, "endpoints.json"), "utf8")) as {
      dynamodb: string;
    };
    const repo = new DynamoRepository(localDynamoClient(endpoints.dynamodb), localNames.table);
    await repo.delete("batch", tenant, openaiBatch.id);
    expect((await get("/v1/focus?format=json").then((r) => r.json())) as { data: unknown[] }).toMatchObject({
      data: expect.not.arrayContaining([expect.objectContaining({ x_BatchId: openaiBatch.id })]),
    });
    const [, again] = await local.deliverFocus();
    expect(again!.keptRows).toBeGreaterThanOrEqual(2);
    rows = await parquetRows();
    expect(rows.filter((row) => row.x_BatchId === openaiBatch.id).length).toBe(again!.keptRows);
    expect(sum(rows.map((row) => row.BilledCost as number))).toBeCloseTo(apiTotal, 10);
    expect((await read("csv")).toString("utf8")).toBe(csv);

    // Next month's first delivery rewrites this month as the previous one, whole.
    const nextMonth = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1, 2);
    const [previous] = await local.deliverFocus(nextMonth);
    expect(previous!.month).toBe(month);
    expect(previous!.rows).toBe(api.length - 1);
  });
});

/** A batch still running is in the FOCUS rows at its estimate, marked so, until it ends (issue 28's `x_CostStatus`). */
describe("FOCUS rows of a batch still running", () => {
  it("charges it at its estimate on the day it was created, as the estimate API priced it, until it ends", async () => {
    const gateway = await startTestGateway({
      // Long enough to read the batch's rows while it runs, short enough to see it settle.
      simulators: { jobLatencyMs: 8_000 },
      runner: { pollWaitMs: 30, retryWaitMs: 20 },
    });
    const headers = { authorization: "Bearer sk-running", "content-type": "application/json" };
    const rowsOf = async (query = "") =>
      (
        (await (await fetch(`${gateway.url}/finops/v1/focus?format=json${query}`, { headers })).json()) as {
          data: Record<string, string | number>[];
        }
      ).data;
    try {
      const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: "sk-running", maxRetries: 0 });
      const file = await uploadBatchInput(openai, chatLines(defaultModels.openai, ["one", "two"]), "openai");
      const estimate = (await (
        await fetch(`${gateway.url}/finops/v1/estimate`, {
          method: "POST",
          headers,
          body: JSON.stringify({ input_file_id: file.id }),
        })
      ).json()) as { cost: { batch: number; on_demand: number } };
      const batch = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
      const rows = await rowsOf();
      expect((await openai.batches.retrieve(batch.id)).status).not.toBe("completed");
      expect(rows.length).toBeGreaterThanOrEqual(2); // input and output
      const sum = (column: string) => rows.reduce((total, row) => total + Number(row[column]), 0);
      for (const row of rows) {
        expect(row.x_CostStatus).toBe("estimate");
        expect(row.ChargePeriodStart).toBe(`${new Date(batch.created_at * 1000).toISOString().slice(0, 10)}T00:00:00Z`);
      }
      expect(sum("BilledCost")).toBeCloseTo(estimate.cost.batch, 10);
      expect(sum("x_OnDemandCost")).toBeCloseTo(estimate.cost.on_demand, 10);
      expect(await rowsOf("&estimates=false")).toEqual([]);

      // Settled, its rows are what it cost.
      const ended = await waitForBatch(openai, batch.id, 30_000);
      const settled = await rowsOf();
      expect(new Set(settled.map((row) => row.x_CostStatus))).toEqual(new Set(["settled"]));
      const ledger = Number(ended.metadata?.finops_cost_usd);
      expect(settled.reduce((total, row) => total + Number(row.BilledCost), 0)).toBeCloseTo(ledger, 6);
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});
