// One Lambda bundle's cold init, in this fresh Node process: loading index.js, then the first handler call with a
// representative event (bench/run.ts passes both). Prints {loadMs, firstCallMs} as JSON; without an event, {loadMs}
// alone (bench/bundle-contents.ts). Plain CommonJS, so no loader stands between Node and the bundle.
const { Writable } = require("node:stream");

// The Lambda runtime's response-streaming globals (local/awslambda.ts), for the streaming door.
globalThis.awslambda = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, prelude) {
      stream.write(JSON.stringify(prelude));
      stream.write(new Uint8Array(8));
      return stream;
    },
  },
};

const [bundle, eventJson] = process.argv.slice(2);
const context = {
  functionName: "bench",
  awsRequestId: "bench-request",
  getRemainingTimeInMillis: () => 30_000,
  callbackWaitsForEmptyEventLoop: false,
};
const started = performance.now();
const { handler } = require(bundle);
const loaded = performance.now();
if (eventJson === undefined) {
  process.stdout.write(`${JSON.stringify({ loadMs: loaded - started })}\n`);
  process.exit(0);
}
const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
Promise.resolve()
  .then(() => handler(JSON.parse(eventJson), handler.length >= 3 ? sink : context, context))
  .catch((error) => ({ error: String(error).slice(0, 300) }))
  .then((result) => {
    const done = performance.now();
    const outcome =
      result && typeof result === "object"
        ? (result.error ??
          (result.statusCode ? `${result.statusCode} ${String(result.body ?? "").slice(0, 120)}` : "ok"))
        : "ok";
    process.stdout.write(`${JSON.stringify({ loadMs: loaded - started, firstCallMs: done - loaded, outcome })}\n`);
    process.exit(0);
  });
