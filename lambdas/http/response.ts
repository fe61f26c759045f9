import type { Readable } from "node:stream";
import type { APIGatewayProxyResult } from "aws-lambda";

/** A proxy result; `stream` (honoured by a front door that streams its responses) replaces `body`. */
export type HttpResponse = APIGatewayProxyResult & { stream?: Readable };

/** A JSON response. */
export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as text when they are valid UTF-8 (every JSONL and JSON file), else undefined. */
const asText = (body: Uint8Array): string | undefined => {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
};

/**
 * Raw bytes. Text goes out as text: API Gateway turns a base64 body back into bytes only for a request whose
 * `Accept` matches its binary media types, and boto3's GetObject sends no `Accept`. Only bytes that are not UTF-8
 * travel base64-encoded (and reach the caller as bytes whenever it sends an `Accept`, as every SDK download does).
 */
export const bytes = (
  statusCode: number,
  body: Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): HttpResponse => {
  const text = asText(body);
  return {
    statusCode,
    headers: { "content-type": contentType, "content-length": String(body.byteLength), ...headers },
    body: text ?? Buffer.from(body).toString("base64"),
    isBase64Encoded: text === undefined,
  };
};

/** A temporary redirect; every SDK follows it on downloads. */
export const redirect = (location: string): HttpResponse => ({
  statusCode: 302,
  headers: { location, "cache-control": "no-store" },
  body: "",
});
