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

  it("are what every example runs, and no retired model is suggested by the docs, examples, tools or benchmarks", () => {
    const examples = filesUnder("examples").filter((path) => /(openai|anthropic|genai|bedrock)[_-]batch\./.test(path));
    expect(examples).toHaveLength(8); // each SDK's, in Python and JS
    for (const example of examples) {
      const text = readFileSync(example, "utf8");
      for (const model of Object.values(defaultModels)) expect(text, example).toContain(`"${model}"`);
    }
    const shipped = ["README.md", ...["docs", "examples", "local", "bench", "lambdas"].flatMap(filesUnder)].filter(
      (path) => !path.endsWith("default-models.ts"),
    );
    const suggestions = shipped.flatMap((path) =>
      retiredModels.filter((model) => readFileSync(path, "utf8").includes(model)).map((model) => `${path}: ${model}`),
    );
    expect(suggestions).toEqual([]);
  });
});
