import { cpSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildOptions, Plugin } from "esbuild";
import { consoleFileNames } from "../lambdas/core/console-files";

/**
 * How every gateway Lambda is bundled — one definition, read by the stack (lib/constructs/gateway-function.ts,
 * through lib/bundle-lambda.ts) and by the benchmarks that weigh the bundles (bench/bundle-contents.ts).
 */

/** The price dataset package: never bundled, shipped beside the bundles that price and loaded on first use. */
export const priceDatasetPackage = "@pydantic/genai-prices";

const root = fileURLToPath(new URL("../", import.meta.url));

/** A handler's entry file (`lambdas/handlers/{entry}.ts`). */
export const handlerEntry = (entry: string): string => `${root}lambdas/handlers/${entry}.ts`;

/**
 * The AWS SDK clients' generated schemas key each schema's traits by a computed property (`{ [_h]: [...] }`, the
 * key a string constant of the same file). esbuild cannot prove a computed key free of side effects, so it keeps
 * every schema of every operation of every client a bundle imports — 64 KiB of S3's for one GetObject
 * (aws/aws-sdk-js-v3#7607). This rewrites those keys to the string literals they stand for, as the code generator's
 * fix does (smithy-lang/smithy-typescript#1889); esbuild then drops the schemas no command reaches. The code is
 * otherwise untouched; a key whose constant is not a plain string stays as it was.
 */
export const literalSchemaKeys: Plugin = {
  name: "literal-schema-keys",
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ },
      async (args) => {
        const source = await readFile(args.path, "utf8");
        const strings = new Map<string, string>();
        for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm))
          strings.set(name!, literal!);
        const contents = source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
          const literal = strings.get(name);
          return literal ? `${literal}:` : key;
        });
        return { contents, loader: "js" };
      },
    );
  },
};

/**
 * Each AWS SDK client imports its whole package.json (3 KiB: scripts, dependencies, …) to read one field, its
 * version, for the user agent. Bundles get a manifest of that field alone.
 */
export const clientVersionOnly: Plugin = {
  name: "client-version-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/ }, async (args) => {
      const { version } = JSON.parse(await readFile(args.path, "utf8")) as { version: string };
      return { contents: JSON.stringify({ version }), loader: "json" };
    });
  },
};

/**
 * esbuild's options for one handler: minified CommonJS for the current Lambda Node runtime, the AWS SDK included (the
 * code runs against the SDK it was tested with, and one file loads faster than the runtime's copy), the price dataset
 * left out, the SDK's default credential chain replaced by the one provider Lambda uses (lambdas/lambda-credentials.ts)
 * and its bearer-token chain by none (lambdas/lambda-tokens.ts).
 */
export const lambdaBuildOptions = (entry: string): BuildOptions => bundleOptions(handlerEntry(entry));

/** The same options for any entry file (a worker script the task would run beside its handler). */
export const bundleOptions = (entryFile: string): BuildOptions => ({
  entryPoints: [entryFile],
  bundle: true,
  minify: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  mainFields: ["module", "main"],
  external: [priceDatasetPackage],
  alias: {
    "@aws-sdk/credential-provider-node": `${root}lambdas/lambda-credentials.ts`,
    "@aws-sdk/token-providers": `${root}lambdas/lambda-tokens.ts`,
  },
  plugins: [literalSchemaKeys, clientVersionOnly],
  sourcemap: false,
  legalComments: "none",
  logLevel: "error",
});

/** Puts the console's files beside a bundle, each at its path of lambdas/core/console-files.ts (and their licences). */
export const copyConsoleFiles = (outputDir: string): void => {
  for (const { path } of Object.values(consoleFileNames)) {
    mkdirSync(dirname(`${outputDir}/${path}`), { recursive: true });
    cpSync(`${root}${path}`, `${outputDir}/${path}`);
  }
  cpSync(`${root}node_modules/chart.js/LICENSE.md`, `${outputDir}/node_modules/chart.js/LICENSE.md`);
};

/** Puts the price dataset beside a bundle: the package's manifest, licence and CommonJS build, as `require` finds it. */
export const copyPriceDataset = (outputDir: string): void => {
  const from = `${root}node_modules/${priceDatasetPackage}`;
  const to = `${outputDir}/node_modules/${priceDatasetPackage}`;
  mkdirSync(`${to}/dist`, { recursive: true });
  for (const file of ["package.json", "LICENSE"]) cpSync(`${from}/${file}`, `${to}/${file}`);
  cpSync(`${from}/dist/index.cjs`, `${to}/dist/index.cjs`);
};
