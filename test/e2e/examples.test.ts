import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewCredential } from "../../lambdas/core/credentials";
import { providers } from "../../lambdas/core/model";
import { firstBatchLines } from "../../local/first-batch";
import { startTestGateway } from "../support/gateway";

/**
 * Every example under examples/ — the very files the docs include — run as a user runs them, from the clone's root:
 * JS with node, Python in a virtual environment this test makes from examples/python/requirements.txt (kept under
 * node_modules/.cache and made again when the requirements change). Each SDK's script runs on each provider against
 * a local gateway with auth on, as deployed; the first batch of the README against an open one, as `npm start` runs.
 */
const root = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const sdks = ["openai", "anthropic", "genai", "bedrock"] as const;
/** What each sample input holds, as each SDK's results name the rows. */
const rowsOf = (sdk: (typeof sdks)[number]) =>
  sdk === "bedrock" ? ["CALL0000001", "CALL0000002", "CALL0000003"] : ["capital", "arithmetic", "haiku"];

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;
let closed: Gateway;
let open: Gateway;
let credential: NewCredential;

beforeAll(async () => {
  const options = { simulators: { jobLatencyMs: 200 }, runner: { pollWaitMs: 30, retryWaitMs: 20 } };
  [closed, open] = await Promise.all([
    startTestGateway({ ...options, auth: "keys" }),
    startTestGateway({ ...options, auth: "open" }),
  ]);
  credential = await closed.gateway.createCredential("examples");
}, 60_000);
afterAll(() => Promise.all([closed?.stop(), open?.stop()]));

const envFor = (url: string, provider?: string, withKeys = true) => ({
  ...process.env,
  FINOPS_URL: url,
  FINOPS_POLL_SECONDS: "0.2",
  ...(provider ? { FINOPS_PROVIDER: provider } : {}),
  ...(withKeys
    ? {
        FINOPS_API_KEY: credential.apiKey,
        FINOPS_ACCESS_KEY_ID: credential.record.accessKeyId,
        FINOPS_SECRET_ACCESS_KEY: credential.secretAccessKey,
      }
    : {}),
});

/** Runs a program from the clone's root; what it printed, or the failure with everything it printed. */
const runExample = async (command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
  try {
    return (await run(command, args, { cwd: root, env, timeout: 60_000 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[command, ...args].join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
};

const expectFinished = (output: string, sdk: (typeof sdks)[number]) => {
  for (const row of rowsOf(sdk)) expect(output).toMatch(new RegExp(`^${row} → Simulated reply to: `, "m"));
  const cost = /^cost \$([\d.e-]+), saved \$([\d.e-]+)$/m.exec(output);
  expect(cost, output).not.toBeNull();
  expect(Number(cost?.[1])).toBeGreaterThan(0);
};

/** The commands `npm start` prints for a first batch, by what they run (`python3 …_batch.py`, `node …`). */
const printedCommands = (url: string) =>
  firstBatchLines(url, "open")
    .map((line) => /(FINOPS_URL=\S+ (python3|node) \S+)$/.exec(line)?.[1])
    .filter((command): command is string => command !== undefined);

describe("the JS examples (examples/js)", () => {
  for (const sdk of sdks)
    it(`${sdk}-batch.mjs runs on every provider`, async () => {
      const outputs = await Promise.all(
        providers.map((provider) => runExample("node", [`examples/js/${sdk}-batch.mjs`], envFor(closed.url, provider))),
      );
      for (const output of outputs) expectFinished(output, sdk);
    }, 120_000);

  it("run as npm start prints them, pasted in another directory, against an open gateway", async () => {
    const [command, ...others] = printedCommands(open.url).filter((line) => line.includes(" node "));
    expect(others).toEqual([]);
    const { stdout } = await run("sh", ["-c", command as string], { cwd: tmpdir(), env: process.env, timeout: 60_000 });
    expectFinished(stdout, "openai");
  }, 60_000);
});

const python = spawnSync("python3", ["--version"]).status === 0 ? "python3" : undefined;
if (!python) console.warn("The Python examples are skipped: python3 is not on PATH.");

describe.skipIf(!python)("the Python examples (examples/python), in a virtual environment", () => {
  const venv = join(root, "node_modules/.cache/finops-examples-venv");
  const venvPython = join(venv, "bin/python");

  beforeAll(async () => {
    const requirements = await readFile(join(root, "examples/python/requirements.txt"), "utf8");
    const stamp = createHash("sha256").update(requirements).digest("hex");
    const stampFile = join(venv, "requirements.sha256");
    if (existsSync(stampFile) && (await readFile(stampFile, "utf8")) === stamp) return;
    await rm(venv, { recursive: true, force: true });
    await mkdir(join(root, "node_modules/.cache"), { recursive: true });
    await runExample(python as string, ["-m", "venv", venv], process.env);
    // --retries 0: pip asks only the configured index once, rather than retrying an unreachable one for minutes.
    await runExample(
      venvPython,
      ["-m", "pip", "install", "--quiet", "--retries", "0", "-r", "examples/python/requirements.txt"],
      process.env,
    );
    await writeFile(stampFile, stamp);
  }, 300_000);

  for (const sdk of sdks)
    it(`${sdk}_batch.py runs on every provider`, async () => {
      const outputs = await Promise.all(
        providers.map((provider) =>
          runExample(venvPython, [`examples/python/${sdk}_batch.py`], envFor(closed.url, provider)),
        ),
      );
      for (const output of outputs) expectFinished(output, sdk);
    }, 120_000);

  it.each(sdks)(
    "%s_manage.py lists, retrieves, cancels and deletes, as the seeds' pages do",
    async (sdk) => {
      const output = await runExample(venvPython, [`examples/python/${sdk}_manage.py`], envFor(closed.url));
      const listed = output.match(/listed: \w+/g) ?? [];
      expect(listed.length, output).toBeGreaterThan(0);
      expect(
        listed.every((line) => line === "listed: True"),
        output,
      ).toBe(true);
      expect(output).toMatch(/^deleted /m);
      expect(output).toMatch(/^(ended|after cancel)/m);
    },
    60_000,
  );

  it("run as npm start prints them (python3 being the environment's), from another directory", async () => {
    const commands = printedCommands(open.url).filter((line) => line.includes(" python3 "));
    expect(commands).toHaveLength(4);
    const outputs = await Promise.all(
      commands.map(async (command) => {
        const pasted = command.replace(" python3 ", ` ${venvPython} `);
        return (await run("sh", ["-c", pasted], { cwd: tmpdir(), env: process.env, timeout: 60_000 })).stdout;
      }),
    );
    outputs.forEach((output, i) => {
      expectFinished(output, sdks[i] as (typeof sdks)[number]);
    });
  }, 60_000);

  it("first_batch.py, the README's, prints the three answers as OpenAI output lines", async () => {
    const output = await runExample(venvPython, ["examples/python/first_batch.py"], envFor(open.url, undefined, false));
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.custom_id)).toEqual(rowsOf("openai"));
    for (const line of lines) expect(line.response.body.choices[0].message.content).toMatch(/^Simulated reply to: /);
  }, 60_000);
});
