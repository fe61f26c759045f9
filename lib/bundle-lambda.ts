/**
 * `node --import tsx lib/bundle-lambda.ts <entry> <outputDir> [--price-dataset]`: bundles one handler as the stack
 * deploys it (lib/bundling.ts) into `<outputDir>/index.js`. The stack's local bundling runs this in a child
 * process: CDK asks for a bundle synchronously, and esbuild runs plugins only in its asynchronous build.
 */
import { build } from "esbuild";
import { copyPriceDataset, lambdaBuildOptions } from "./bundling";

const [entry, outputDir, ...flags] = process.argv.slice(2);
if (!entry || !outputDir) throw new Error("usage: bundle-lambda.ts <entry> <outputDir> [--price-dataset]");
await build({ ...lambdaBuildOptions(entry), outfile: `${outputDir}/index.js` });
if (flags.includes("--price-dataset")) copyPriceDataset(outputDir);
