import type { APIGatewayProxyResult } from "aws-lambda";

export type HttpResponse = APIGatewayProxyResult;

/** A JSON response. */
export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Raw bytes, base64-encoded for API Gateway (its binary media types turn them back into bytes). */
export const bytes = (
  statusCode: number,
  body: Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { "content-type": contentType, "content-length": String(body.byteLength), ...headers },
  body: Buffer.from(body).toString("base64"),
  isBase64Encoded: true,
});

/** A temporary redirect; every SDK follows it on downloads. */
export const redirect = (location: string): HttpResponse => ({
  statusCode: 302,
  headers: { location, "cache-control": "no-store" },
  body: "",
});
