/**
 * `npm run bench:bundles [-- handler …]`: what each Lambda bundle is made of — every handler under lambdas/handlers
 * bundled as the stack bundles it (lib/bundling.ts), printing its size and the packages that take the most of it.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { lambdaBuildOptions } from "../lib/bundling";

const handlersDir = fileURLToPath(new URL("../lambdas/handlers/", import.meta.url));
const asked = process.argv.slice(2);
const entries = readdirSync(handlersDir)
  .filter((file) => file.endsWith(".ts"))
  .map((file) => file.slice(0, -3))
  .filter((name) => asked.length === 0 || asked.includes(name));

for (const name of entries) {
  const result = await build({ ...lambdaBuildOptions(name), metafile: true, write: false, outfile: `${name}.js` });
  const output = Object.values(result.metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = match ? match[1]! : file.split("/").slice(0, 2).join("/");
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    `${name.padEnd(22)} ${(output.bytes / 1024).toFixed(0).padStart(5)} KiB: ` +
      top.map(([key, bytes]) => `${key} ${(bytes / 1024).toFixed(0)}`).join(", "),
  );
}
