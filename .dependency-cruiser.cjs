/**
 * The layers of the gateway (README "Development"), checked by `npm test`. Arrows point the way imports may go:
 *
 *   handlers ─▶ app ─▶ dialects ─▶ http ─▶ core ◀─ formats
 *                 │        └──▶ formats       ▲
 *                 ├─▶ providers ─▶ formats ───┘
 *                 └─▶ state ──────────────────┘
 *
 * core imports no other folder (codecs and stores reach it through its ports); dialects and providers never
 * meet; each dialect keeps its SDK's vocabulary to its own folder; formats are pure; runtime code never imports
 * the CDK; lib/ takes only pure constants from runtime code.
 */
const runtime = "^lambdas/";
const folder = (name) => `^lambdas/${name}/`;

/** Modules of runtime code that lib/ may import: constants with no runtime imports of their own. */
const pureForLib = [
  "^lambdas/core/layout[.]ts$",
  "^lambdas/edge/viewer-request-code[.]ts$",
  "^lambdas/core/errors[.]ts$",
  "^lambdas/core/config[.]ts$",
  "^lambdas/core/part-settings[.]ts$",
  "^lambdas/http/limits[.]ts$",
  "^lambdas/state/table-schema[.]ts$",
  "^lambdas/dialects/front-doors[.]ts$",
  "^lambdas/dialects/staged-routes[.]ts$",
  "^lambdas/http/staged-contract[.]ts$",
  "^lambdas/dialects/event-names[.]ts$",
  "^lambdas/core/webhook-policy[.]ts$",
  "^lambdas/metric-names[.]ts$",
  "^lambdas/core/focus-layout[.]ts$",
  "^lambdas/core/console-files[.]ts$",
];

module.exports = {
  forbidden: [
    {
      name: "core-imports-no-layer",
      comment: "core is the neutral model, ports and operations: formats, stores and adapters reach it through ports.",
      severity: "error",
      from: { path: folder("core") },
      to: { path: "^lambdas/(dialects|providers|http|formats|state|app|handlers)/|^lambdas/logger[.]ts$" },
    },
    {
      name: "dialects-never-import-providers",
      severity: "error",
      from: { path: folder("dialects") },
      to: { path: folder("providers") },
    },
    {
      name: "providers-never-import-dialects",
      severity: "error",
      from: { path: folder("providers") },
      to: { path: folder("dialects") },
    },
    {
      name: "dialects-reach-state-through-core",
      comment: "A dialect calls core's operations; it never holds a store or the composition root.",
      severity: "error",
      from: { path: folder("dialects") },
      to: { path: "^lambdas/(state|app|handlers)/" },
    },
    {
      name: "providers-reach-state-through-core",
      severity: "error",
      from: { path: folder("providers") },
      to: { path: "^lambdas/(state|http|app|handlers)/" },
    },
    {
      name: "each-sdk-vocabulary-stays-in-its-dialect",
      comment: "A dialect folder imports no other dialect folder (shared dialect files sit in lambdas/dialects/).",
      severity: "error",
      from: { path: "^lambdas/dialects/([^/]+)/" },
      to: { path: "^lambdas/dialects/[^/]+/", pathNot: "^lambdas/dialects/$1/" },
    },
    {
      name: "formats-are-pure",
      comment: "Codecs turn lines into neutral values and back: no I/O, no stores, no adapters.",
      severity: "error",
      from: { path: folder("formats") },
      to: {
        path: [
          "^lambdas/(dialects|providers|http|state|app|handlers)/",
          "^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls)$",
          "^@aws-sdk/",
          "^lambdas/logger[.]ts$",
        ],
      },
    },
    {
      name: "state-implements-core-ports-only",
      severity: "error",
      from: { path: folder("state") },
      to: { path: "^lambdas/(dialects|providers|http|formats|app|handlers)/" },
    },
    {
      name: "http-knows-no-dialect-provider-or-store",
      severity: "error",
      from: { path: folder("http") },
      to: { path: "^lambdas/(dialects|providers|formats|state|app|handlers)/" },
    },
    {
      name: "only-entry-points-import-the-composition-root",
      severity: "error",
      from: { path: runtime, pathNot: "^lambdas/(app|handlers)/" },
      to: { path: "^lambdas/(app|handlers)/" },
    },
    {
      name: "runtime-never-imports-cdk",
      comment:
        "Local mode runs the state machine's own definition (lib/batch-definition.ts, plain ASL), nothing else of lib/.",
      severity: "error",
      from: { path: "^(lambdas|local)/" },
      to: { path: "^(aws-cdk-lib|constructs|cdk-nag)(/|$)|^lib/|^bin/", pathNot: "^lib/batch-definition[.]ts$" },
    },
    {
      name: "the-state-machine-definition-is-plain-asl",
      severity: "error",
      from: { path: "^lib/batch-definition[.]ts$" },
      to: { path: "^(aws-cdk-lib|constructs|cdk-nag)(/|$)|^lib/constructs/" },
    },
    {
      name: "lib-takes-only-pure-constants-from-runtime",
      severity: "error",
      from: { path: "^(lib|bin)/" },
      to: { path: runtime, pathNot: pureForLib },
    },
    {
      name: "pure-constants-stay-pure",
      comment: "What lib/ imports from runtime code may itself import only types and other pure constants.",
      severity: "error",
      from: { path: pureForLib },
      to: { dependencyTypesNot: ["type-only"], pathNot: pureForLib },
    },
    {
      name: "no-circular",
      comment: "No import cycle between modules (and so none between folders).",
      severity: "error",
      from: {},
      to: { circular: true, dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|cdk[.]out|[.]finops-local)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    skipAnalysisNotInRules: false,
  },
};
