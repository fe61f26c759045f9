import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

/** `npm run wipe` as a user runs it, on the given data directory. */
const wipe = (dataDir: string) =>
  new Promise<{ status: number | null; out: string }>((resolveRun) => {
    const run = spawn(process.execPath, ["--import", "tsx", "local/wipe.ts"], {
      env: { ...process.env, FINOPS_DATA_DIR: dataDir },
    });
    let out = "";
    run.stdout.on("data", (chunk) => (out += chunk));
    run.stderr.on("data", (chunk) => (out += chunk));
    run.on("close", (status) => resolveRun({ status, out }));
  });

describe("npm run wipe", () => {
  it("refuses while a gateway runs on the data directory, and wipes once it stopped", async () => {
    const gateway = await startTestGateway();
    try {
      const refused = await wipe(gateway.dataDir);
      expect(refused.status).toBe(1);
      expect(refused.out).toContain(`A local gateway is running on ${gateway.dataDir}`);
      expect(existsSync(gateway.dataDir)).toBe(true);
    } finally {
      await gateway.close();
    }
    const wiped = await wipe(gateway.dataDir);
    expect(wiped.status).toBe(0);
    expect(existsSync(gateway.dataDir)).toBe(false);
  });
});
