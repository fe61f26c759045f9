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
  it.each(["", "0", "0.00", "0x10", "1e3", "-1", "12abc"])(
    "refuses --monthly-usd=%j by name, with no stack trace",
    (value) => {
      const { status, out } = keys("budget", "--name", "c", `--monthly-usd=${value}`);
      expect(status).toBe(1);
      expect(out).toContain("positive decimal such as 25 or 0.5");
      expect(out).not.toMatch(/\n\s+at /);
    },
  );

  it("an option it cannot read is its usage, not a stack trace", () => {
    const { status, out } = keys("budget", "--name", "c", "--monthly-usd", "-1");
    expect(status).toBe(2);
    expect(out).toContain("Usage: npm run keys --");
    expect(out).not.toMatch(/\n\s+at /);
  });
});

describe("npm run keys -- tags", () => {
  it("refuses a tag AWS could not keep, naming it, with no stack trace", () => {
    const { status, out } = keys("tags", "--name", "c", "--set", "team=a#b");
    expect(status).toBe(1);
    expect(out).toContain('--set: tag "team" cannot be kept: keys and values hold letters, digits, spaces');
    expect(out).not.toMatch(/\n\s+at /);
  });
});

describe("--json: what the owner CLIs print, for programs", () => {
  it("keys create, list and budget, and costs, print one JSON document on stdout", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keys-json-"));
    const run = (script: string, ...args: string[]) => {
      const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args, "--json"], {
        env: { ...process.env, FINOPS_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        encoding: "utf8",
      });
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    };
    try {
      expect(run("local/keys.ts", "list")).toEqual([]);
      const created = run("local/keys.ts", "create", "--name", "team-a");
      expect(created).toMatchObject({ name: "team-a", apiKey: expect.stringMatching(/^fops-/) });
      expect(run("local/keys.ts", "budget", "--name", "team-a", "--monthly-usd", "25")).toEqual({
        name: "team-a",
        monthlyUsd: 25,
      });
      expect(run("local/keys.ts", "tags", "--name", "team-a", "--set", "team=search, cost-centre=4410")).toEqual({
        name: "team-a",
        tags: { team: "search", "cost-centre": "4410" },
      });
      const [listed, ...others] = run("local/keys.ts", "list");
      expect(others).toEqual([]);
      expect(listed).toMatchObject({
        name: "team-a",
        status: "enabled",
        accessKeyId: created.accessKeyId,
        budget: { monthlyUsd: 25, usedUsd: 0 },
        tags: { team: "search", "cost-centre": "4410" },
        webhook: null,
      });
      expect(run("local/keys.ts", "tags", "--name", "team-a", "--set", "none")).toEqual({ name: "team-a", tags: {} });
      expect(run("local/costs.ts")).toMatchObject({ groupBy: "credential", groups: [], total: null });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("every owner CLI answers --help and a wrong option with its usage, never a stack trace", () => {
  const run = (script: string, ...args: string[]) => {
    const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      encoding: "utf8",
    });
    return { status: result.status, out: `${result.stdout}${result.stderr}` };
  };
  it.each([
    ["local/keys.ts", "npm run keys --"],
    ["local/costs.ts", "npm run costs --"],
    ["local/smoke-command.ts", "npm run smoke --"],
    ["local/webhook-receiver.ts", "npm run webhooks:listen --"],
  ])("%s", (script, usage) => {
    const help = run(script, "--help");
    expect(help.status).toBe(0);
    expect(help.out).toContain(`Usage: ${usage}`);
    const wrong = run(script, "--no-such-option");
    expect(wrong.status).toBe(2);
    expect(wrong.out).toContain("Unknown option '--no-such-option'");
    expect(wrong.out).toContain(`Usage: ${usage}`);
    expect(`${help.out}${wrong.out}`).not.toMatch(/\n\s+at /);
  });
});

describe("npm run keys -- list", () => {
  it("says when there are no credentials, and heads its columns when there are", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keys-list-"));
    const run = (...args: string[]) => {
      const result = spawnSync(process.execPath, ["--import", "tsx", "local/keys.ts", ...args], {
        env: { ...process.env, FINOPS_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
        encoding: "utf8",
      });
      return { status: result.status, out: result.stdout };
    };
    try {
      const empty = run("list");
      expect(empty.status).toBe(0);
      expect(empty.out).toContain("No credentials in local state in");
      expect(run("create", "--name", "team-a").status).toBe(0);
      const [header, row] = run("list").out.trim().split("\n");
      expect(header!.split("\t")).toEqual([
        "name",
        "status",
        "access key id",
        "created",
        "budget",
        "tags",
        "webhook",
        "job buckets",
      ]);
      expect(row!.split("\t").slice(0, 2)).toEqual(["team-a", "enabled"]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
