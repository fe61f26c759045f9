/**
 * `node --import tsx lib/bundle-lambda.ts <outputRoot> <entry>…`: bundles each handler as the stack deploys it
 * (lib/bundling.ts) into `<outputRoot>/<entry>/index.js`, all at once. The stack's local bundling runs this in a
 * child process: CDK asks for each bundle synchronously, and esbuild runs plugins only in its asynchronous build.
 */
import { build } from "esbuild";
import { lambdaBuildOptions } from "./bundling";

const [outputRoot, ...entries] = process.argv.slice(2);
if (!outputRoot || entries.length === 0) throw new Error("usage: bundle-lambda.ts <outputRoot> <entry>…");
await Promise.all(
  entries.map((entry) => build({ ...lambdaBuildOptions(entry), outfile: `${outputRoot}/${entry}/index.js` })),
);
