/**
 * What API Gateway (REST) does to headers between a client and an integration, from its documented table
 * ("Amazon API Gateway important notes for REST APIs": headers dropped, remapped or overwritten) and what this
 * project measured: the local adapter applies it to every event and response, so that a request that would fail in
 * AWS fails here the same way.
 */

/** What the table says happens to a request header on its way to a Lambda (proxy) integration or authorizer. */
const requestRule: Record<string, "dropped"> = {
  connection: "dropped",
  "content-md5": "dropped",
  expect: "dropped",
  "max-forwards": "dropped",
  "proxy-authenticate": "dropped",
  server: "dropped",
  te: "dropped",
  trailer: "dropped",
  upgrade: "dropped",
  "www-authenticate": "dropped",
  // "Exception" for Lambda in the table; the body arrives whole (API Gateway does not stream requests).
  "transfer-encoding": "dropped",
  // Not in the table: with binary media types, API Gateway does not pass it on (measured; the JS SDK signs it).
  "content-length": "dropped",
  // Hop-by-hop headers of the client's connection.
  "keep-alive": "dropped",
  "proxy-connection": "dropped",
};

/** Response headers of a Lambda integration that API Gateway renames `x-amzn-Remapped-{name}`. */
const remappedResponse = new Set([
  "authorization",
  "connection",
  "content-md5",
  "date",
  "max-forwards",
  "server",
  "user-agent",
  "www-authenticate",
]);
/** Response headers API Gateway drops. */
const droppedResponse = new Set([
  "expect",
  "host",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** A Signature Version 4 `Authorization` header, which API Gateway drops before an integration sees it. */
const isSigV4 = (value: string) => /^AWS4-HMAC-SHA256\b/i.test(value.trim());

/** The client's headers (name, value pairs, the client's case) as a Lambda proxy integration or authorizer gets them. */
export const requestHeadersForLambda = (headers: readonly [string, string][]): [string, string][] =>
  headers.filter(([name, value]) => {
    const lower = name.toLowerCase();
    if (requestRule[lower] === "dropped") return false;
    return !(lower === "authorization" && isSigV4(value));
  });

/** A Lambda proxy response's headers as API Gateway sends them on (its own `Date` in place of the integration's). */
export const responseHeadersFromLambda = (
  headers: Record<string, string | string[]>,
): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (droppedResponse.has(lower)) continue;
    out[remappedResponse.has(lower) ? `x-amzn-Remapped-${name}` : name] = value;
  }
  return out;
};

/**
 * API Gateway's own answer to a request body over 10 MB. A REQUEST_TOO_LARGE gateway response cannot change it, so
 * no SDK gets its own envelope here (boto3 sees a bare 413).
 */
export const apiGatewayTooLarge = {
  status: 413,
  // As observed from a REST API: this content type, this text.
  contentType: "text; charset=utf-8",
  body: "HTTP content length exceeded 10485760 bytes.",
} as const;

/** What API Gateway answers when Lambda refuses an event over its 6 MB (observed: `x-amzn-errortype: BadRequestException`). */
export const lambdaTooLarge = { status: 413, body: '{"message": "Request Too Long"}' } as const;
