/**
 * `npm run bench:bundles [-- handler …] [--why module]`: what each Lambda bundle is made of — every handler under
 * lambdas/handlers bundled as the stack bundles it (lib/bundling.ts), printing its size and the packages that take
 * the most of it; with `--why`, the chain of imports by which the first input matching `module` got in.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { lambdaBuildOptions } from "../lib/bundling";

const handlersDir = fileURLToPath(new URL("../lambdas/handlers/", import.meta.url));
const args = process.argv.slice(2);
const whyAt = args.indexOf("--why");
const why = whyAt >= 0 ? args.splice(whyAt, 2)[1] : undefined;
const asked = args;
const entries = readdirSync(handlersDir)
  .filter((file) => file.endsWith(".ts"))
  .map((file) => file.slice(0, -3))
  .filter((name) => asked.length === 0 || asked.includes(name));

/** The shortest chain of imports from the handler to the first input whose path contains `module`. */
const importChain = (inputs: Metafile["inputs"], name: string, module: string): string[] => {
  const entry = Object.keys(inputs).find((file) => file.endsWith(`handlers/${name}.ts`))!;
  const from = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  for (let file = queue.shift(); file; file = queue.shift()) {
    if (file.includes(module)) {
      const chain: string[] = [];
      for (let at: string | undefined = file; at; at = from.get(at)) chain.unshift(at.replace(/.*node_modules\//, ""));
      return chain;
    }
    for (const { path } of inputs[file]?.imports ?? []) {
      if (!from.has(path)) {
        from.set(path, file);
        queue.push(path);
      }
    }
  }
  return [`(nothing matching ${module})`];
};

for (const name of entries) {
  const result = await build({ ...lambdaBuildOptions(name), metafile: true, write: false, outfile: `${name}.js` });
  const output = Object.values(result.metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const key = match ? match[1]! : file.split("/").slice(0, 2).join("/");
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  if (why) console.log(`  ${importChain(result.metafile.inputs, name, why).join("\n    → ")}`);
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    `${name.padEnd(22)} ${(output.bytes / 1024).toFixed(0).padStart(5)} KiB: ` +
      top.map(([key, bytes]) => `${key} ${(bytes / 1024).toFixed(0)}`).join(", "),
  );
}
