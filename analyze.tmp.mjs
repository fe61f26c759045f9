import { build } from "esbuild";

const entry = process.argv[2];
const alias = process.argv[3] === "alias";
const r = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  mainFields: ["module", "main"],
  metafile: true,
  write: false,
  outfile: "/tmp/cb/out.js",
  logLevel: "error",
  external: ["@pydantic/genai-prices"],
  nodePaths: ["/work/main/node_modules"],
  ...(alias && { alias: { "@aws-sdk/credential-provider-node": "/tmp/cb/alias/credentials.mjs" } }),
});
const out = Object.values(r.metafile.outputs)[0];
const byPkg = new Map();
for (const [file, info] of Object.entries(out.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  const key = m ? m[1] : file.split("/").slice(0, 2).join("/");
  byPkg.set(key, (byPkg.get(key) ?? 0) + info.bytesInOutput);
}
console.log("total", (out.bytes / 1024).toFixed(0), "KiB");
if (process.argv[4])
  for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, +process.argv[4]))
    console.log((v / 1024).toFixed(1).padStart(8), k);
if (process.argv[5]) {
  const files = Object.entries(out.inputs)
    .filter(([f]) => f.includes(process.argv[5]))
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 25);
  for (const [f, i] of files)
    console.log((i.bytesInOutput / 1024).toFixed(1).padStart(7), f.replace(/.*node_modules\//, ""));
}
