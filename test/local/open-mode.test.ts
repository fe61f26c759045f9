import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { startTestGateway } from "../support/gateway";

/** `npm run keys -- …` as an owner runs it against a running gateway's data directory (async: it shares our loop). */
const keys = (dataDir: string, ...args: string[]) =>
  new Promise<{ status: number | null; out: string }>((resolveRun) => {
    const run = spawn(process.execPath, ["--import", "tsx", "local/keys.ts", ...args], {
      env: { ...process.env, FINOPS_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    let out = "";
    run.stdout.on("data", (chunk) => {
      out += chunk;
    });
    run.stderr.on("data", (chunk) => {
      out += chunk;
    });
    run.on("close", (status) => resolveRun({ status, out }));
  });

const note = "Note: the running gateway is in open mode";

describe("a local gateway in open mode tells the truth about what npm run keys sets", () => {
  it("says a budget or webhook applies only with FINOPS_AUTH=keys; in keys mode it says nothing of the kind", async () => {
    for (const auth of ["open", "keys"] as const) {
      const gateway = await startTestGateway({ auth });
      try {
        const created = await keys(gateway.dataDir, "create", "--name", "team-a");
        expect(created.status).toBe(0);
        const budget = await keys(gateway.dataDir, "budget", "--name", "team-a", "--monthly-usd", "5");
        expect(budget.status).toBe(0);
        expect(budget.out).toContain("team-a: budget $5.00 per month.");
        if (auth === "open") expect(budget.out).toContain(`${note} (every key works, none is a credential)`);
        else expect(budget.out).not.toContain(note);
      } finally {
        await gateway.stop();
      }
    }
  });
});
