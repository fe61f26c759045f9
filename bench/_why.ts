import { build } from "esbuild";
import { lambdaBuildOptions } from "../lib/bundling";
const [name, target] = process.argv.slice(2);
const r = await build({ ...lambdaBuildOptions(name!), metafile: true, write: false, outfile: "x.js" });
const inputs = r.metafile.inputs;
const entry = Object.keys(inputs).find((f) => f.endsWith(`handlers/${name}.ts`))!;
const prev = new Map<string, string>([[entry, ""]]);
const queue = [entry];
let found: string | undefined;
while (queue.length) {
  const f = queue.shift()!;
  if (f.includes(target!)) { found = f; break; }
  for (const imp of inputs[f]?.imports ?? []) if (!prev.has(imp.path)) { prev.set(imp.path, f); queue.push(imp.path); }
}
const chain: string[] = [];
for (let f = found; f; f = prev.get(f) || undefined) chain.unshift(f.replace(/.*node_modules\//, ""));
console.log(chain.join("\n  → "));
