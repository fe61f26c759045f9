// The gateway's CloudFront Function (viewer request, runtime cloudfront-js-2.0), deployed by
// lib/constructs/gateway-front.ts and run on every local request by local/front.ts.
//
// API Gateway (REST) does not hand a Lambda what a SigV4 verifier needs: it drops an `Authorization` header that
// holds a Signature Version 4 signature, drops `Content-Length` with binary media types and `Content-MD5` always,
// and answers for its own host. So before the request leaves the edge, this copies those headers as the client sent
// them into headers of the gateway's own (`x-finops-viewer-*`), which pass every hop untouched;
// lambdas/http/front.ts puts them back. Copies a client sent itself are removed first.
//
// Under a base path (`basePath` below, set at synth), the path is served without it, as API Gateway's base path
// mappings would.
//
// A body over what its route takes (`tooLarge`, set at synth from lambdas/edge/viewer-request-code.ts: API Gateway's
// 10 MB for a staged route, a Lambda event's 6 MB for the rest) is answered here, in its SDK's error format, from the
// Content-Length the client sent (or an aws-chunked body's decoded length): API Gateway's own 413s cannot be given one.

const basePath = "__FINOPS_BASE_PATH__";
const tooLarge = "__FINOPS_TOO_LARGE__";
const prefix = "x-finops-viewer-";
const copied = ["authorization", "host", "content-length", "content-md5"];

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls the function by this name.
function handler(event) {
  const request = event.request;
  const headers = request.headers;
  Object.keys(headers).forEach((name) => {
    if (name.indexOf(prefix) === 0) delete headers[name];
  });
  copied.forEach((name) => {
    if (headers[name]) headers[prefix + name] = { value: headers[name].value };
  });
  if (basePath) {
    if (request.uri !== basePath && request.uri.indexOf(`${basePath}/`) !== 0) {
      return { statusCode: 404, statusDescription: "Not Found" };
    }
    request.uri = request.uri.slice(basePath.length) || "/";
    headers[`${prefix}base-path`] = { value: basePath };
  }
  // An aws-chunked body (boto3 sends PutObject chunked, without Content-Length) announces its decoded length.
  const sized = headers["content-length"] || headers["x-amz-decoded-content-length"];
  const length = sized ? Number(sized.value) : 0;
  for (let i = 0; i < tooLarge.rules.length; i++) {
    const rule = tooLarge.rules[i];
    if (rule.method && rule.method !== request.method) continue;
    if (request.uri !== rule.prefix && request.uri.indexOf(rule.prefix.replace(/\/?$/, "/")) !== 0) continue;
    if (length <= rule.limit) break;
    const answer = tooLarge.answers[rule.answer];
    return {
      statusCode: 413,
      statusDescription: "Payload Too Large",
      headers: { "content-type": { value: answer.contentType } },
      body: { encoding: "text", data: answer.body },
    };
  }
  return request;
}
