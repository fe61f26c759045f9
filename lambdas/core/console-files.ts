/**
 * The console's files, by the name its page asks for (`{GW}/finops/console/{name}`; the page itself is `console`),
 * each a path under the function's task root — the stack copies them there, in the project's own layout. A pure
 * constant: the stack reads it to build the FinOps door's asset.
 */
export const consoleFileNames: Readonly<Record<string, { path: string; contentType: string }>> = {
  console: { path: "console/index.html", contentType: "text/html; charset=utf-8" },
  "console.js": { path: "console/console.js", contentType: "text/javascript; charset=utf-8" },
  "console.css": { path: "console/console.css", contentType: "text/css; charset=utf-8" },
  "chart.umd.min.js": {
    path: "node_modules/chart.js/dist/chart.umd.min.js",
    contentType: "text/javascript; charset=utf-8",
  },
};
