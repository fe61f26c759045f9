import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** `npm run keys -- …` as an owner runs it, on a fresh local state. */
const keys = (...args: string[]) => {
  const dataDir = mkdtempSync(join(tmpdir(), "keys-cli-"));
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", "local/keys.ts", ...args], {
      env: { ...process.env, FINOPS_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      encoding: "utf8",
    });
    return { status: run.status, out: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
};

describe("npm run keys -- budget (F29)", () => {
  it.each(["", "0x10", "1e3", "-1", "12abc"])("refuses --monthly-usd=%j by name, with no stack trace", (value) => {
    const { status, out } = keys("budget", "--name", "c", `--monthly-usd=${value}`);
    expect(status).toBe(1);
    expect(out).toContain("positive decimal such as 25 or 0.5");
    expect(out).not.toMatch(/\n\s+at /);
  });

  it("an option it cannot read is its usage, not a stack trace", () => {
    const { status, out } = keys("budget", "--name", "c", "--monthly-usd", "-1");
    expect(status).toBe(2);
    expect(out).toContain("Usage: npm run keys --");
    expect(out).not.toMatch(/\n\s+at /);
  });
});
