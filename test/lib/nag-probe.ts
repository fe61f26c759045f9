import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";

interface ValidationReport {
  pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/**
 * Synthesizes a stack under cdk-nag's AwsSolutions pack and returns every unacknowledged finding as
 * `rule at construct/path`; an empty list means every finding was fixed or acknowledged with a reason.
 */
export const nagFindings = (build: (app: App) => Stack): string[] => {
  const outdir = mkdtempSync(join(tmpdir(), "finops-nag-"));
  const app = new App({ outdir });
  build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    if (!existsSync(join(outdir, "validation-report.json"))) throw error;
  }
  const reportPath = join(outdir, "validation-report.json");
  if (!existsSync(reportPath)) return [];
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as ValidationReport;
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
  );
};
