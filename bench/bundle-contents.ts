/**
 * `npm run bench:bundles [-- handler …] [--why module] [--sdk-external]`: what each Lambda bundle is made of — every
 * handler under lambdas/handlers bundled as the stack bundles it (lib/bundling.ts), printing its size and the
 * packages that take the most of it; with `--why`, the chain of imports by which the first input matching `module`
 * got in; with `--sdk-external`, what leaving the AWS SDK to the Lambda runtime's copy would do: each bundle's size
 * and module load time (median of 7 fresh processes) bundled and with `@aws-sdk/*` and `@smithy/*` loaded from
 * node_modules as the runtime loads its own.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { lambdaBuildOptions } from "../lib/bundling";
import { benchLambdaEnv } from "./lambda-env";

const handlersDir = fileURLToPath(new URL("../lambdas/handlers/", import.meta.url));
const args = process.argv.slice(2);
const whyAt = args.indexOf("--why");
const why = whyAt >= 0 ? args.splice(whyAt, 2)[1] : undefined;
const sdkExternal = args.includes("--sdk-external");
const asked = args.filter((arg) => arg !== "--sdk-external");
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

/** Module load of a bundle in a fresh process (bench/cold-init-child.cjs without an event), median of 7, in ms. */
const loadMs = (file: string): number => {
  // NODE_PATH: an SDK left out of the bundle is found as the runtime's own copy would be.
  const env = { ...benchLambdaEnv(), NODE_PATH: fileURLToPath(new URL("../node_modules", import.meta.url)) };
  const child = fileURLToPath(new URL("./cold-init-child.cjs", import.meta.url));
  const runs = Array.from(
    { length: 7 },
    () =>
      (JSON.parse(execFileSync(process.execPath, [child, file], { env, encoding: "utf8" })) as { loadMs: number })
        .loadMs,
  );
  return runs.sort((a, b) => a - b)[3]!;
};

const compareSdkExternal = async (name: string, dir: string) => {
  const options = lambdaBuildOptions(name);
  const sizes: string[] = [];
  const variants: [string, BuildOptions][] = [
    ["bundled", options],
    ["SDK external", { ...options, external: [...(options.external ?? []), "@aws-sdk/*", "@smithy/*"], alias: {} }],
  ];
  for (const [label, variant] of variants) {
    const outfile = join(dir, name, label.replace(" ", "-"), "index.js");
    const result = await build({ ...variant, outfile, metafile: true });
    const bytes = Object.values(result.metafile!.outputs)[0]!.bytes;
    sizes.push(`${label} ${(bytes / 1024).toFixed(0)} KiB, load ${loadMs(outfile).toFixed(0)} ms`);
  }
  console.log(`${name.padEnd(22)} ${sizes.join(" | ")}`);
};

if (sdkExternal) {
  const dir = mkdtempSync(join(tmpdir(), "finops-sdk-external-"));
  try {
    for (const name of entries) await compareSdkExternal(name, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

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
