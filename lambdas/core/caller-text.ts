import { BadRequestError } from "./errors";

/**
 * Limits on the strings a caller chooses that the gateway stores and echoes (file names, content types, metadata):
 * checked where they enter core, so no item grows past DynamoDB's 400 KB because of a caller, and no header the
 * gateway answers with carries a control character.
 */
export const callerTextLimits = { name: 1024, contentType: 255, metadataEntries: 16, metadataValue: 512 } as const;

/** A media type as HTTP writes it (`type/subtype`, optional parameters), no control characters. */
const mediaType =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?: *; *[!#$%&'*+.^_`|~0-9A-Za-z-]+=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"[^"\\]*"))*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const controlCharacter = /[\u0000-\u001f\u007f]/;

const shown = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

/** A content type, refused (400 naming what it is) unless a media type of at most 255 characters. */
export const checkedContentType = (value: string, what = "The content type"): string => {
  if (value.length > callerTextLimits.contentType || !mediaType.test(value) || controlCharacter.test(value)) {
    throw new BadRequestError(
      `${what} must be a media type such as application/jsonl, at most ${callerTextLimits.contentType} ` +
        `characters; got ${shown(value)}.`,
    );
  }
  return value;
};

/** A name (a file's, a display name), refused (400 naming what it is) past 1,024 characters or control characters. */
export const checkedName = (value: string, what = "The file name"): string => {
  if (value.length > callerTextLimits.name || controlCharacter.test(value)) {
    throw new BadRequestError(
      `${what} must be at most ${callerTextLimits.name} characters with no control characters; got ${shown(value)}.`,
    );
  }
  return value;
};

/** Key-value metadata, refused past 16 entries or values of 512 characters (OpenAI's own limits, for every SDK). */
export const checkedMetadata = (
  metadata: Record<string, string> | undefined,
  field = "metadata",
): Record<string, string> | undefined => {
  if (!metadata) return metadata;
  const entries = Object.entries(metadata);
  if (entries.length > callerTextLimits.metadataEntries)
    throw new BadRequestError(`'${field}' holds at most ${callerTextLimits.metadataEntries} entries.`, {
      param: field,
    });
  for (const [key, value] of entries) {
    if (key.length > 64 || String(value).length > callerTextLimits.metadataValue || controlCharacter.test(key))
      throw new BadRequestError(
        `'${field}.${key.slice(0, 64)}': keys take at most 64 characters and values ${callerTextLimits.metadataValue}.`,
        { param: field },
      );
  }
  return metadata;
};
