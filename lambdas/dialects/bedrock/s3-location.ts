import { BadRequestError } from "../../core/errors";
import type { HttpRequest } from "../../http/request";
import { frontDoors } from "../front-doors";

const mount = `/${frontDoors.bedrockFiles.mount}`;

/**
 * What an S3 Signature Version 2 signs as the request's resource: `/{bucket}/{key}` as the client sent it
 * (percent-encoded), whichever addressing style it used.
 */
export const signedResourceOf = (request: HttpRequest): string => {
  const rest = request.path.slice(mount.length) || "/";
  const bucket = hostBucket(request);
  return bucket === undefined ? rest : `/${bucket}${rest}`;
};

/** The bucket a virtual-hosted style request names in its Host, if it is one. */
const hostBucket = (request: HttpRequest): string | undefined => {
  const host = (request.headers.host ?? "").replace(/:\d+$/, "");
  const suffixes = [
    ".localhost",
    ...(process.env.S3_VIRTUAL_HOST_SUFFIX ? [`.${process.env.S3_VIRTUAL_HOST_SUFFIX}`] : []),
  ];
  const suffix = suffixes.find((s) => host.endsWith(s) && host.length > s.length);
  return suffix ? host.slice(0, -suffix.length) : undefined;
};

/**
 * The bucket and key of a request: path style (`/bedrock/files/{bucket}/{key}`), or virtual-hosted style where
 * the Host carries the bucket (`{bucket}.localhost`, or `{bucket}.{S3_VIRTUAL_HOST_SUFFIX}` for a custom domain).
 */
export const locationOf = (request: HttpRequest): { bucket: string; key: string } => {
  const bucket = hostBucket(request);
  const segments = request.path.slice(mount.length).split("/").slice(1);
  const decode = (segment: string) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new BadRequestError(`Malformed percent-encoding in ${JSON.stringify(segment)}.`, { code: "InvalidURI" });
    }
  };
  const parts = segments.map(decode);
  if (bucket !== undefined) return { bucket, key: parts.join("/") };
  return { bucket: parts[0] ?? "", key: parts.slice(1).join("/") };
};
