import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import type { ProxyHandler } from "./dialect-handler";

/** The Lambda runtime's response-streaming globals (provided by the Node.js runtime; local/awslambda.ts locally). */
interface ResponseStreamingRuntime {
  streamifyResponse(
    handler: (event: APIGatewayProxyEvent, responseStream: Writable, context: Context) => Promise<void>,
  ): StreamingHandler;
  HttpResponseStream: {
    from(stream: Writable, prelude: { statusCode: number; headers?: Record<string, unknown> }): Writable;
  };
}

declare const awslambda: ResponseStreamingRuntime;

/** A Lambda handler that writes its response to a stream (an API Gateway `STREAM` integration invokes it). */
export type StreamingHandler = (
  event: APIGatewayProxyEvent,
  responseStream: Writable,
  context: Context,
) => Promise<void>;

/**
 * Serves a front door's responses as a stream: the status and headers go first (the runtime's HTTP prelude), then
 * the body — a route's stream as it is read (an object of any size, never held whole), or its buffered body as
 * bytes. Streamed bodies are raw bytes, so nothing is base64-encoded and no `Accept` header is needed.
 */
export const streamingHandler = (handler: ProxyHandler): StreamingHandler =>
  awslambda.streamifyResponse(async (event, responseStream, context) => {
    const { body, stream, isBase64Encoded, ...prelude } = await handler(event, context);
    const out = awslambda.HttpResponseStream.from(responseStream, prelude);
    const bytes = body ? [Buffer.from(body, isBase64Encoded ? "base64" : "utf8")] : [];
    await pipeline(stream ?? Readable.from(bytes), out);
  });
