import * as z from "zod";
import { BadRequestError, NotFoundError } from "../../core/errors";
import { findFile, streamFileBytes } from "../../core/files";
import type { NamespaceDeps } from "../../core/namespace";
import { intString } from "../../core/schemas";
import { parseWith } from "../../core/validation";
import { decodeAwsChunked } from "../../http/aws";
import type { HttpRequest } from "../../http/request";
import type { HttpResponse } from "../../http/response";
import { escapeXml } from "../../http/xml";
import { frontDoors } from "../front-doors";
import { awsProvider, awsTenant } from "./auth";
import { deleteObject, etagOf, headObject, listObjects, putObject } from "./s3-namespace";

const mount = `/${frontDoors.bedrockFiles.mount}`;

/**
 * The bucket and key of a request: path style (`/bedrock/files/{bucket}/{key}`), or virtual-hosted style where
 * the Host carries the bucket (`{bucket}.localhost`, or `{bucket}.{S3_VIRTUAL_HOST_SUFFIX}` for a custom domain).
 */
export const locationOf = (request: HttpRequest): { bucket: string; key: string } => {
  const host = (request.headers.host ?? "").replace(/:\d+$/, "");
  const suffixes = [
    ".localhost",
    ...(process.env.S3_VIRTUAL_HOST_SUFFIX ? [`.${process.env.S3_VIRTUAL_HOST_SUFFIX}`] : []),
  ];
  const suffix = suffixes.find((s) => host.endsWith(s) && host.length > s.length);
  const segments = request.path.slice(mount.length).split("/").slice(1);
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new BadRequestError(`Malformed percent-encoding in ${JSON.stringify(segment)}.`, { code: "InvalidURI" });
    }
  };
  const parts = segments.map(decode);
  if (suffix) return { bucket: host.slice(0, -suffix.length), key: parts.join("/") };
  return { bucket: parts[0] ?? "", key: parts.slice(1).join("/") };
};

const httpDate = (ms: number): string => new Date(ms).toUTCString();

const listQuery = z.object({
  prefix: z.string().default(""),
  delimiter: z.string().optional(),
  "max-keys": intString(0, 1000).default(1000),
  "continuation-token": z.string().optional(),
  "start-after": z.string().optional(),
});

const xml = (statusCode: number, body: string): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/xml" },
  body,
});

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against an object of `size` bytes (one range, as the SDKs send). */
const parseRange = (header: string | undefined, size: number): { start: number; end: number } | undefined => {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const start = match[1] === "" ? Math.max(0, size - Number(match[2])) : Number(match[1]);
  const end = match[1] === "" || match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start > end || start >= size)
    throw new BadRequestError("The requested range is not satisfiable.", { code: "InvalidRange" });
  return { start, end };
};

/** The S3-compatible object routes at `{GW}/bedrock/files`. */
export const s3ObjectRoutes = (deps: NamespaceDeps) => {
  const list = async (request: HttpRequest, tenant: string, bucket: string): Promise<HttpResponse> => {
    if (request.query["list-type"] !== "2")
      throw new BadRequestError("Only ListObjectsV2 (list-type=2) is supported.", { code: "NotImplemented" });
    const q = parseWith(listQuery, request.query, "query");
    const page = await listObjects(deps, tenant, bucket, {
      prefix: q.prefix,
      delimiter: q.delimiter || undefined,
      maxKeys: q["max-keys"],
      continuationToken: q["continuation-token"],
      startAfter: q["start-after"],
    });
    const tag = (name: string, value: string | number | undefined) =>
      value === undefined ? "" : `<${name}>${escapeXml(String(value))}</${name}>`;
    const body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      tag("Name", bucket),
      tag("Prefix", q.prefix),
      tag("Delimiter", q.delimiter),
      tag("StartAfter", q["start-after"]),
      tag("ContinuationToken", q["continuation-token"]),
      tag("KeyCount", page.contents.length + page.commonPrefixes.length),
      tag("MaxKeys", q["max-keys"]),
      tag("IsTruncated", String(page.truncated)),
      tag("NextContinuationToken", page.nextToken),
      ...page.contents.map(
        (e) =>
          `<Contents>${tag("Key", e.key)}${tag("LastModified", new Date(e.lastModified).toISOString())}` +
          `${tag("ETag", etagOf(e))}${tag("Size", e.size)}<StorageClass>STANDARD</StorageClass></Contents>`,
      ),
      ...page.commonPrefixes.map((p) => `<CommonPrefixes>${tag("Prefix", p)}</CommonPrefixes>`),
      "</ListBucketResult>",
    ].join("");
    return xml(200, body);
  };

  const objectHeaders = (entry: Awaited<ReturnType<typeof headObject>>) => ({
    etag: etagOf(entry),
    "last-modified": httpDate(entry.lastModified),
    "content-type": entry.contentType,
    "accept-ranges": "bytes",
  });

  return {
    /** Every method on every path of the mount: PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2. */
    async handle(request: HttpRequest): Promise<HttpResponse> {
      const tenant = awsTenant(request);
      const { bucket, key } = locationOf(request);
      if (!bucket)
        throw new BadRequestError("ListBuckets is not supported: name a bucket.", { code: "NotImplemented" });
      if (key === "") {
        if (request.method === "GET") return list(request, tenant, bucket);
        throw new BadRequestError(
          `${request.method} on a bucket is not supported; buckets exist as names in this namespace.`,
          { code: "NotImplemented" },
        );
      }
      switch (request.method) {
        case "PUT": {
          if (request.headers["x-amz-copy-source"])
            throw new BadRequestError("CopyObject is not supported.", { code: "NotImplemented" });
          const { body } = decodeAwsChunked(request);
          const entry = await putObject(deps, {
            tenant,
            provider: awsProvider(request),
            bucket,
            key,
            body,
            contentType: request.headers["content-type"] ?? "binary/octet-stream",
          });
          return { statusCode: 200, headers: { etag: etagOf(entry) }, body: "" };
        }
        case "HEAD": {
          const entry = await headObject(deps, tenant, bucket, key, request.headers["if-match"]);
          return {
            statusCode: 200,
            headers: { ...objectHeaders(entry), "content-length": String(entry.size) },
            body: "",
          };
        }
        case "GET": {
          // Streamed (this front door's integration streams responses): an object of any size, never held whole.
          const entry = await headObject(deps, tenant, bucket, key, request.headers["if-match"]);
          const range = parseRange(request.headers.range, entry.size);
          const length = range ? range.end - range.start + 1 : entry.size;
          const file = await findFile(deps, tenant, entry.fileId);
          if (!file) throw new NotFoundError("The specified key does not exist.", { code: "NoSuchKey" });
          const headers: Record<string, string> = { ...objectHeaders(entry), "content-length": String(length) };
          if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${entry.size}`;
          const stream = length > 0 ? await streamFileBytes(deps, file, range) : undefined;
          return { statusCode: range ? 206 : 200, headers, body: "", stream };
        }
        case "DELETE":
          await deleteObject(deps, tenant, bucket, key, request.headers["if-match"]);
          return { statusCode: 204, headers: {}, body: "" };
        default:
          throw new BadRequestError(`${request.method} is not supported on objects.`, { code: "NotImplemented" });
      }
    },
  };
};
