import { BadRequestError } from "../../core/errors";
import type { HttpRequest } from "../../http/request";
import { frontDoors } from "../front-doors";

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
