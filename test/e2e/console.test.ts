import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModels } from "../../local/default-models";
import { chatLines, uploadBatchInput, waitForBatch } from "../support/batches";
import { startKeysGateway, type startTestGateway } from "../support/gateway";

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or the one CHROMIUM_PATH names. */
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const browserThere = existsSync(executablePath);
if (!browserThere)
  console.warn(
    `NO BROWSER: the console test did not run — no Chromium at ${executablePath}. Install Debian's chromium ` +
      "(apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH.",
  );

/** Where the test leaves the console's screenshot (README shows a copy: docs/console.png). */
const outputDir = join(import.meta.dirname, "../../test-output");

/**
 * The little of the browser's globals the test reads inside the page (the project's types hold no DOM; a cast, as
 * `page.evaluate` sends the function's text to the page, not its closure).
 */
type PageGlobals = {
  document: {
    activeElement: { id: string } | null;
    querySelector(selector: string): unknown;
    getElementById(id: string): { value: string } | null;
  };
  sessionStorage: { getItem(key: string): string | null };
  localStorage: { length: number };
};

type FocusRow = Record<string, string | number | null>;
type Drawn = { labels: string[]; datasets: { label: string; data: (number | number[])[] }[] };

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const pause = () => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * The console (issue 28): a page the gateway serves at `/finops/console`, driven in a real headless Chromium by
 * keyboard alone, against a gateway holding settled batches; its charts must draw what the FinOps API answers.
 */
describe.skipIf(!browserThere)("the console", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let key: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    const started = await startKeysGateway("console");
    ({ gateway, key } = started);
    await gateway.gateway.tags.set(started.credential.record.tenant, { team: "search" });
    await gateway.gateway.setBudget("console", 5);
    const openai = new OpenAI({ baseURL: `${gateway.url}/openai`, apiKey: key, maxRetries: 0 });
    for (const [provider, team] of [
      ["openai", "ads"],
      ["anthropic", undefined],
    ] as const) {
      const file = await uploadBatchInput(
        openai,
        chatLines(defaultModels[provider], ["one", "two", "three"]),
        provider,
      );
      const batch = await openai.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
        metadata: team ? { team } : null,
        provider,
      } as never);
      await waitForBatch(openai, batch.id);
    }
    const anthropic = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: key, maxRetries: 0 });
    let message = await anthropic.messages.batches.create({
      requests: [
        {
          custom_id: "a",
          params: { model: defaultModels.anthropic, max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
        },
      ],
    });
    while (message.processing_status !== "ended") {
      await pause();
      message = await anthropic.messages.batches.retrieve(message.id);
    }
    browser = await chromium.launch({
      executablePath,
      // As root, without Chromium's sandbox; nothing of Google's is reached (this machine's network is closed).
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    page.on("console", (entry) => {
      if (entry.type() === "error") errors.push(entry.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  const api = async (path: string) =>
    (await fetch(`${gateway.url}/finops/v1/${path}`, { headers: { authorization: `Bearer ${key}` } })).json();
  const drawn = (id: string) =>
    page.evaluate((canvas) => {
      const chart = (
        globalThis as unknown as { Chart: { getChart(id: string): { data: Drawn } | undefined } }
      ).Chart.getChart(canvas);
      return (
        chart && {
          labels: chart.data.labels,
          datasets: chart.data.datasets.map(({ label, data }) => ({ label, data })),
        }
      );
    }, id) as Promise<Drawn | undefined>;
  const ready = () => page.waitForSelector("main[data-state=ready]", { timeout: 15_000 });
  /** Tabs from where the focus is to the element `selector` names (the way a keyboard user gets there). */
  const tabTo = async (selector: string) => {
    for (let presses = 0; presses < 60; presses++) {
      if (
        await page.evaluate(
          (s) =>
            (globalThis as unknown as PageGlobals).document.activeElement ===
            (globalThis as unknown as PageGlobals).document.querySelector(s),
          selector,
        )
      )
        return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`Tab never reached ${selector}`);
  };

  it("asks for a key, keeps it in the tab's session only, and draws cost per day by model as the FOCUS rows say", async () => {
    await page.goto(`${gateway.url}/finops/console`);
    expect(await page.locator("main").getAttribute("data-state")).toBe("waiting");
    await page.keyboard.press("Tab"); // the skip link
    await tabTo("#key");
    await page.keyboard.type(key);
    await page.keyboard.press("Enter");
    await ready();
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem("finops.console.key")),
    ).toBe(key);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.length)).toBe(0);
    expect(await page.inputValue("#key")).toBe("");

    // Every batch here has settled (the page draws a running one's estimate apart).
    const rows = ((await api("focus?format=json")) as { data: FocusRow[] }).data;
    expect(new Set(rows.map((row) => row.x_CostStatus))).toEqual(new Set(["settled"]));
    const chart = (await drawn("daily"))!;
    const models = [...new Set(rows.map((row) => String(row.x_Model)))].sort();
    expect(chart.datasets.map((d) => d.label)).toEqual([...models, "On demand"]);
    for (const model of models) {
      const drawnDays = chart.datasets.find((d) => d.label === model)!.data as number[];
      // Each day's bar is that day's rows of the model.
      chart.labels.forEach((day, i) => {
        const own = rows.filter((row) => row.x_Model === model && String(row.ChargePeriodStart).startsWith(day));
        expect(drawnDays[i], `${model} ${day}`).toBeCloseTo(sum(own.map((row) => Number(row.BilledCost))), 10);
      });
    }
    const onDemand = chart.datasets.at(-1)!.data as number[];
    expect(sum(onDemand)).toBeCloseTo(sum(rows.map((row) => Number(row.x_OnDemandCost))), 10);
    const total = sum(rows.map((row) => Number(row.BilledCost)));
    expect(total).toBeGreaterThan(0);
    const totals = await page.locator("#totals").textContent();
    expect(totals).toContain("3"); // settled batches
    expect(totals).toContain(`$${total.toFixed(6)}`);
  });

  it("groups by a tag as the costs API does, and shows the key's budget as the budget API answers it", async () => {
    await page.selectOption("#by", "tag");
    await page.focus("#tag");
    await page.fill("#tag", "team");
    await page.keyboard.press("Enter");
    await ready();
    const chart = (await drawn("daily"))!;
    const groups = (
      (await api("costs?group_by=tag:team")) as { data: { group: string; cost: number; on_demand: number }[] }
    ).data;
    expect(chart.datasets.map((d) => d.label)).toEqual([...groups.map((g) => g.group).sort(), "On demand"]);
    for (const group of groups)
      expect(sum(chart.datasets.find((d) => d.label === group.group)!.data as number[])).toBeCloseTo(group.cost, 10);
    expect(sum(chart.datasets.at(-1)!.data as number[])).toBeCloseTo(sum(groups.map((g) => g.on_demand)), 10);

    const budget = (await api("budget")) as { monthly: number; committed: number; month: string };
    expect(budget.monthly).toBe(5);
    expect(budget.committed).toBeGreaterThan(0);
    const bar = (await drawn("budget"))!;
    expect(bar.labels).toEqual([budget.month]);
    expect(bar.datasets.map((d) => d.data[0])).toEqual([budget.committed, budget.monthly - budget.committed]);
    expect(await page.locator("#budget-text").textContent()).toContain("Key console: $");
    expect(await page.locator("#budget-text").textContent()).toContain("of $5.00");
  });

  it("lists the batches with status, progress and cost, and draws a batch's timeline from its states and jobs", async () => {
    const listed = (await api("batches")) as {
      data: { id: string; status: string; status_times: Record<string, string>; cost: { batch: number } }[];
    };
    expect(listed.data).toHaveLength(3);
    const rows = page.locator("#batches tbody tr");
    expect(await rows.count()).toBe(3);
    const first = listed.data[0]!;
    const firstRow = await rows.first().textContent();
    expect(firstRow).toContain("completed");
    expect(firstRow).toContain("1 of 1 rows");
    await tabTo("#batches tbody tr:first-child button");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#timeline-section:not([hidden])");
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe(
      "timeline-heading",
    );
    const timeline = (await drawn("timeline"))!;
    expect(timeline.labels.slice(0, Object.keys(first.status_times).length)).toEqual(Object.keys(first.status_times));
    expect(timeline.labels).toContain("job 1");
    const started = Date.parse(Object.values(first.status_times)[0]!);
    const [from] = timeline.datasets[0]!.data[1] as number[];
    expect(from).toBeCloseTo((Date.parse(Object.values(first.status_times)[1]!) - started) / 1000, 3);
    expect(await page.locator("#timeline-table").textContent()).toContain("1 completed, 0 failed of 1");
  });

  it("downloads the period's FOCUS rows, the file the API answers; loads with no error; leaves a screenshot", async () => {
    await page.selectOption("#by", "model");
    await page.focus("#from");
    await page.keyboard.press("Enter");
    await ready();
    await tabTo("#download");
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    const saved = await readFile((await download.path())!, "utf8");
    const { from, to } = await page.evaluate(() => ({
      from: (globalThis as unknown as PageGlobals).document.getElementById("from")!.value,
      to: (globalThis as unknown as PageGlobals).document.getElementById("to")!.value,
    }));
    const csv = await (
      await fetch(`${gateway.url}/finops/v1/focus?from=${from}&to=${to}&format=csv`, {
        headers: { authorization: `Bearer ${key}` },
      })
    ).text();
    expect(saved).toBe(csv);
    expect(saved.split("\r\n").length).toBeGreaterThan(4);
    expect(download.suggestedFilename()).toBe(`focus-${from}-to-${to}.csv`);
    // No CSP refusal, no script error: the page runs on its own files alone.
    expect(errors).toEqual([]);
    await mkdir(outputDir, { recursive: true });
    const shot = join(outputDir, "console.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).byteLength).toBeGreaterThan(10_000);
    console.info(`The console's screenshot: ${shot}`);
  });

  it("forgets the key and everything it showed", async () => {
    await tabTo("#forget");
    await page.keyboard.press("Enter");
    await page.waitForSelector("main[data-state=waiting]");
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem("finops.console.key")),
    ).toBeNull();
    expect(await page.locator("#batches tbody tr").count()).toBe(0);
    expect(await page.locator("#totals").textContent()).toBe("");
    expect(await drawn("daily")).toBeUndefined();
  });

  it("says so in the page when the gateway refuses the key, and serves only its own files without one", async () => {
    await page.focus("#key");
    await page.keyboard.type("sk-not-a-key");
    await page.keyboard.press("Enter");
    await page.waitForSelector("main[data-state=error]");
    expect(await page.locator("#status").textContent()).toMatch(/answered: .+ Check the key/);
    const nothing = await fetch(`${gateway.url}/finops/console/..%2Fpackage.json`);
    expect(nothing.status).toBe(404);
    const page_ = await fetch(`${gateway.url}/finops/console`);
    expect(page_.headers.get("content-security-policy")).toContain("script-src 'self'");
  });
});
