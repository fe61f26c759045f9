import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultModels, retiredModels } from "../../local/default-models";
import { defaultModels as smokeModels } from "../../local/smoke";

/** Every file under a folder. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

describe("the default models", () => {
  it("are what the smoke uses", () => {
    expect(smokeModels).toBe(defaultModels);
  });

  it("are all in the README, and no retired model is suggested by the README, the tools or the benchmarks", () => {
    const readme = readFileSync("README.md", "utf8");
    for (const model of Object.values(defaultModels)) expect(readme).toContain(model);
    const shipped = ["README.md", ...["local", "bench", "lambdas"].flatMap(filesUnder)].filter(
      (path) => !path.endsWith("default-models.ts"),
    );
    const suggestions = shipped.flatMap((path) =>
      retiredModels.filter((model) => readFileSync(path, "utf8").includes(model)).map((model) => `${path}: ${model}`),
    );
    expect(suggestions).toEqual([]);
  });
});
