import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCredential } from "../../lambdas/core/credentials";
import { providers } from "../../lambdas/core/model";
import { defaultModels, formatSmoke, runSmoke, type SmokeRow } from "../../local/smoke";
import { startTestGateway } from "../support/gateway";

/**
 * `npm run smoke` against the local gateway, served as a custom domain with a base path mapping (`/gw`) does and
 * with auth on, as deployed: every SDK, every provider, signed AWS calls with an awkward key and an ARN in the
 * path, through the adapter that presents requests as API Gateway does.
 */
describe("npm run smoke, against the local gateway behind a base path", () => {
  let gateway: Awaited<ReturnType<typeof startTestGateway>>;
  let credential: NewCredential;
  let rows: SmokeRow[];
  /** The rows as they were reported, one by one. */
  const reported: SmokeRow[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway({
      auth: "keys",
      basePath: "/gw",
      simulators: { jobLatencyMs: 300 },
      runner: { pollWaitMs: 30, retryWaitMs: 20 },
    });
    credential = await gateway.gateway.createCredential("smoke");
    rows = await runSmoke({
      onRow: (row) => reported.push(row),
      url: gateway.url,
      apiKey: credential.apiKey,
      accessKeyId: credential.record.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      providers,
      models: defaultModels,
      waitSeconds: 60,
      pollSeconds: 0.05,
    });
  }, 180_000);
  afterAll(() => gateway.stop());

  it("serves every front door under the base path", () => {
    expect(gateway.url).toMatch(/\/gw$/);
  });

  it("reports each check as it finishes, in the order of the final table", () => {
    expect(reported).toEqual(rows);
    expect(reported.length).toBeGreaterThan(0);
  });

  it("passes every check", () => {
    expect(
      rows.filter((r) => r.result !== "pass"),
      formatSmoke(rows),
    ).toEqual([]);
  });

  it("ran a batch through each of the four SDKs on each of the four providers", () => {
    for (const sdk of ["openai", "anthropic", "genai", "aws"] as const)
      for (const provider of providers) expect(rows.some((r) => r.sdk === sdk && r.provider === provider)).toBe(true);
    for (const check of ["cancel", "stop", "a wrong key", "bad input"])
      expect(rows.filter((r) => r.check.startsWith(check)).length).toBeGreaterThan(0);
  });

  it("reports a failing check as failed (a wrong key for everything)", async () => {
    const bad = await runSmoke({
      url: gateway.url,
      apiKey: "sk-not-a-gateway-key",
      accessKeyId: "AKIANOTAKEY",
      secretAccessKey: "nope",
      providers: ["openai"],
      models: defaultModels,
      waitSeconds: 5,
      pollSeconds: 0.05,
    });
    expect(bad.find((r) => r.sdk === "openai" && r.provider === "openai")?.result).toBe("fail");
    expect(formatSmoke(bad)).toMatch(/failed/);
  });
});
