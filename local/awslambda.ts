import type { Writable } from "node:stream";

/**
 * The Lambda Node.js runtime's response-streaming globals, as the runtime provides them: `streamifyResponse` marks
 * a handler as streaming, and `HttpResponseStream.from` writes the HTTP prelude (the status and headers as JSON,
 * then 8 NUL bytes) before the body — the bytes API Gateway's `STREAM` integration reads. The local adapter reads
 * the same bytes (local/http-adapter.ts).
 */
const runtime = {
  streamifyResponse: <T>(handler: T): T => handler,
  HttpResponseStream: {
    from(stream: Writable, prelude: Record<string, unknown>): Writable {
      stream.write(JSON.stringify(prelude));
      stream.write(new Uint8Array(8));
      return stream;
    },
  },
};

// Other libraries keep their own members on the same global (the AWS SDK's invoke store): add ours beside them.
const scope = globalThis as { awslambda?: Partial<typeof runtime> };
scope.awslambda ??= {};
scope.awslambda.streamifyResponse ??= runtime.streamifyResponse;
scope.awslambda.HttpResponseStream ??= runtime.HttpResponseStream;
