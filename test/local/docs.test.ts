import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { docPages, includedFiles, repoRoot, wideLines, withCurrentParts } from "../../local/docs";
import {
  carriageSection,
  constructPropsSection,
  endpointsSection,
  stateMachineSection,
} from "../../local/docs-sections";

/**
 * The docs say what the code does: each page's included examples and generated sections are the current ones
 * (`npm run docs` writes them; the stack's resources are checked against the template in gateway-stack.test.ts),
 * every example is on a page, every relative link leads somewhere, and the pages read in a side-by-side diff.
 */
const pages = docPages().map((path) => ({ path, name: relative(repoRoot, path), text: readFileSync(path, "utf8") }));
const sections = {
  carriage: carriageSection,
  "construct-props": constructPropsSection,
  "state-machine": stateMachineSection,
  endpoints: endpointsSection,
  "stack-resources": "as written",
  "stack-retained": "as written",
} as const;

describe("the docs", () => {
  it.each(pages.map((p) => [p.name, p] as const))("%s includes and generates what its sources hold now", (_, page) => {
    expect(page.text, "run npm run docs").toBe(withCurrentParts(page.text, sections));
  });

  it("show every example under examples/ (the files npm test runs)", () => {
    const shown = new Set(
      pages.flatMap((p) => [...includedFiles(p.text), ...(p.text.match(/examples\/[\w./-]+/g) ?? [])]),
    );
    const examples = readdirSync(join(repoRoot, "examples"), { recursive: true, encoding: "utf8" })
      .filter((name) => /\.(py|mjs|jsonl|txt)$/.test(name))
      .map((name) => `examples/${name}`);
    expect(examples.length).toBeGreaterThan(8);
    expect(examples.filter((example) => !shown.has(example))).toEqual([]);
  });

  it("link only to files that exist", () => {
    const broken = pages.flatMap((page) =>
      [...page.text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
        .map((m) => m[1] as string)
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => !existsSync(join(dirname(page.path), target)))
        .map((target) => `${page.name} → ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it("have no line wider than 120 characters outside code", () => {
    expect(pages.flatMap((page) => wideLines(page.path, page.text))).toEqual([]);
  });

  it("keep the README short: what it is, the two commands, a first batch, links", () => {
    const readme = pages.find((p) => p.name === "README.md")?.text ?? "";
    expect(readme.split("\n").length).toBeLessThan(200);
    expect(includedFiles(readme)).toContain("examples/python/first_batch.py");
  });

  it("can fail: a stale include and a wide line are found", () => {
    const stale = "<!-- include: examples/python/first_batch.py -->\n```python\nold\n```\n<!-- end include -->\n";
    expect(withCurrentParts(stale, sections)).not.toBe(stale);
    expect(wideLines(join(repoRoot, "x.md"), `${"a ".repeat(61)}\n\`\`\`\n${"b".repeat(200)}\n\`\`\``)).toEqual([
      "x.md:1 (122)",
    ]);
  });
});
