import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { afterEach, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const config = require("../.dependency-cruiser.cjs") as { forbidden: unknown[] };

let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** The rules of `npm run boundaries` over a tree of stub modules (path → the modules it imports). */
const violationsOf = async (tree: Record<string, string[]>): Promise<string[]> => {
  root = await mkdtemp(join(tmpdir(), "finops-boundaries-"));
  for (const [path, imports] of Object.entries(tree)) {
    await mkdir(join(root, dirname(path)), { recursive: true });
    const lines = imports.map((target, i) => `import * as m${i} from "${target}";\nexport const u${i} = m${i};`);
    await writeFile(join(root, path), `${lines.join("\n")}\nexport const x = 1;\n`);
  }
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const result = await cruise(
      ["lambdas", "lib", "local"].filter((d) => Object.keys(tree).some((p) => p.startsWith(d))),
      {
        ruleSet: { forbidden: config.forbidden } as never,
        validate: true,
      },
    );
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  } finally {
    process.chdir(cwd);
  }
};

describe("import boundaries (npm run boundaries)", () => {
  it("accepts the layering as designed", async () => {
    expect(
      await violationsOf({
        "lambdas/core/model.ts": [],
        "lambdas/formats/codec.ts": ["../core/model"],
        "lambdas/dialects/openai/files.ts": ["../../core/model", "../../formats/codec", "../front-doors"],
        "lambdas/dialects/front-doors.ts": [],
        "lambdas/providers/openai/batches.ts": ["../../core/model", "../../formats/codec"],
        "lambdas/app/compose.ts": ["../dialects/openai/files", "../providers/openai/batches"],
        "lambdas/handlers/openai.ts": ["../app/compose"],
      }),
    ).toEqual([]);
  });

  it.each([
    [
      "core-imports-no-layer",
      { "lambdas/core/ops.ts": ["../dialects/openai/files"], "lambdas/dialects/openai/files.ts": [] },
    ],
    ["core-imports-no-layer", { "lambdas/core/ops.ts": ["../formats/codec"], "lambdas/formats/codec.ts": [] }],
    [
      "dialects-never-import-providers",
      {
        "lambdas/dialects/openai/files.ts": ["../../providers/openai/batches"],
        "lambdas/providers/openai/batches.ts": [],
      },
    ],
    [
      "providers-never-import-dialects",
      {
        "lambdas/providers/openai/batches.ts": ["../../dialects/openai/files"],
        "lambdas/dialects/openai/files.ts": [],
      },
    ],
    [
      "dialects-reach-state-through-core",
      { "lambdas/dialects/genai/batches.ts": ["../../state/repo"], "lambdas/state/repo.ts": [] },
    ],
    [
      "each-sdk-vocabulary-stays-in-its-dialect",
      { "lambdas/dialects/anthropic/files.ts": ["../openai/multipart"], "lambdas/dialects/openai/multipart.ts": [] },
    ],
    ["formats-are-pure", { "lambdas/formats/writer.ts": ["node:fs"] }],
    [
      "state-implements-core-ports-only",
      { "lambdas/state/deps.ts": ["../dialects/x/y"], "lambdas/dialects/x/y.ts": [] },
    ],
    ["runtime-never-imports-cdk", { "lambdas/core/x.ts": ["aws-cdk-lib"] }],
    [
      "lib-takes-only-pure-constants-from-runtime",
      { "lib/stack.ts": ["../lambdas/state/repo"], "lambdas/state/repo.ts": [] },
    ],
    [
      "pure-constants-stay-pure",
      { "lib/stack.ts": ["../lambdas/core/layout"], "lambdas/core/layout.ts": ["./ids"], "lambdas/core/ids.ts": [] },
    ],
    ["no-circular", { "lambdas/core/a.ts": ["./b"], "lambdas/core/b.ts": ["./a"] }],
  ])("refuses a deliberately bad import: %s", async (rule, tree) => {
    const violations = await violationsOf(tree);
    expect(
      violations.some((v) => v.startsWith(`${rule}:`)),
      violations.join("\n"),
    ).toBe(true);
  });
});

describe("dialects reach state only through core's operations", () => {
  /** What a dialect would write to use a store directly: the deps' repository, blob store or namespace index. */
  const directStateAccess = /\bdeps\.(repo|blobs|namespace)\b/;

  it("no dialect or provider module touches a store of the deps itself", async () => {
    const offenders: string[] = [];
    for (const layer of ["lambdas/dialects", "lambdas/providers"]) {
      const files = (await readdir(layer, { recursive: true })).filter((f) => f.endsWith(".ts"));
      for (const file of files) {
        const lines = (await readFile(join(layer, file), "utf8")).split("\n");
        lines.forEach((line, i) => {
          if (directStateAccess.test(line)) offenders.push(`${layer}/${file}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the check sees a direct access when there is one", () => {
    expect(directStateAccess.test('const file = await deps.repo.get("file", tenant, id);')).toBe(true);
    expect(directStateAccess.test("const file = await findFile(deps, tenant, id);")).toBe(false);
  });
});

describe("what each Lambda bundles: the entry points pass in the clients their rows grant, and no others", () => {
  const handler = (entry: string) => readFile(join("lambdas/handlers", `${entry}.ts`), "utf8");

  it("each front door: prices and budgets (the price dataset is large) where it prices batches, the runner where it starts them, the staging bucket where it keeps files", async () => {
    const { frontDoors } = await import("../lambdas/dialects/front-doors");
    for (const door of Object.values(frontDoors)) {
      const entries: string[] = [door.entry, ...("headEntry" in door ? [door.headEntry] : [])];
      for (const entry of entries) {
        const source = await handler(entry);
        expect(source.includes("spending: spendingFromEnv"), entry).toBe(door.pricesBatches);
        expect(source.includes("runner: runnerFromEnv"), entry).toBe(door.startsBatches);
        expect(source.includes("blobs: blobsFromEnv"), entry).toBe(door.storesFiles);
      }
    }
    expect(await readFile("lambdas/app/aws-engine.ts", "utf8")).toContain(
      "{ spending: spendingFromEnv, blobs: blobsFromEnv }",
    );
  });

  it("each staged route's authorizer: the staging bucket its bodies go to", async () => {
    const { stagedRoutes } = await import("../lambdas/dialects/staged-routes");
    for (const route of Object.values(stagedRoutes)) {
      expect(await handler(route.authorizerEntry)).toContain("blobs: blobsFromEnv");
    }
  });
});
