import { BadRequestError } from "../core/errors";
import type { HttpRequest } from "./request";

/** A parsed multipart upload: the file part and every other field as text. */
export interface MultipartUpload {
  file: { filename: string; contentType: string; body: Uint8Array };
  fields: [string, string][];
}

/**
 * Parses a `multipart/form-data` body with the platform's own parser (undici's `Response.formData`),
 * accepting either part order (JS sends `file` first, Python `purpose` first).
 */
export const parseMultipart = async (request: HttpRequest, fileField = "file"): Promise<MultipartUpload> => {
  const contentType = request.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;.*boundary=/i.test(contentType)) {
    throw new BadRequestError("Expected a multipart/form-data body with a 'file' part.", { param: fileField });
  }
  let form: FormData;
  try {
    form = await new Response(request.body as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": contentType },
    }).formData();
  } catch (cause) {
    throw new BadRequestError("The multipart/form-data body is malformed.", { cause });
  }
  let file: MultipartUpload["file"] | undefined;
  const fields: [string, string][] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") {
      fields.push([name, value]);
    } else if (name === fileField) {
      file = {
        filename: value.name,
        contentType: value.type || "application/octet-stream",
        body: new Uint8Array(await value.arrayBuffer()),
      };
    }
  }
  if (!file)
    throw new BadRequestError(`Missing the '${fileField}' part: upload the file as a form file field.`, {
      param: fileField,
    });
  return { file, fields };
};
