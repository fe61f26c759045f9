import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { docPages, repoRoot, withCurrentParts } from "./docs";
import {
  carriageSection,
  constructPropsSection,
  endpointsSection,
  stackResourcesSection,
  stackRetainedSection,
  stateMachineSection,
} from "./docs-sections";

/**
 * `npm run docs`: writes the docs' generated parts — the included examples, the conversion table, the construct's
 * props and the stack's resources (from the template `npm run synth` left in cdk.out; the script runs it first).
 */
const templatePath = join(repoRoot, "cdk.out/FinOpsGateway.template.json");
if (!existsSync(templatePath)) throw new Error(`${templatePath} is missing: run npm run synth first`);
const template = JSON.parse(readFileSync(templatePath, "utf8"));
const sections = {
  carriage: carriageSection,
  "construct-props": constructPropsSection,
  "state-machine": stateMachineSection,
  endpoints: endpointsSection,
  "stack-resources": () => stackResourcesSection(template),
  "stack-retained": () => stackRetainedSection(template),
};
for (const path of docPages()) {
  const page = readFileSync(path, "utf8");
  const current = withCurrentParts(page, sections);
  if (current !== page) {
    writeFileSync(path, current);
    console.log(`wrote ${relative(repoRoot, path)}`);
  }
}
execFileSync("npx", ["biome", "format", "--write", "docs"], { stdio: "ignore", cwd: repoRoot });
