/**
 * Cost allocation tags: what a batch's cost is allocated to (team, project, cost centre). A credential carries tags
 * its owner set (`npm run keys -- tags`), a batch its own (OpenAI `metadata`, Bedrock job `tags`, the `x-finops-tags`
 * header for the Anthropic and GenAI SDKs); a batch's tags are the credential's with the batch's over them. They
 * reach the cost report (`group_by=tag:team`), the metrics, and the tags of a Bedrock job the batch runs as.
 */
import { BadRequestError } from "./errors";

export type Tags = Record<string, string>;

/** The tags each tenant's credential carries. */
export interface TagStore {
  of(tenant: string): Promise<Tags>;
  /** Replaces the tenant's tags (an empty set removes them). */
  set(tenant: string, tags: Tags): Promise<void>;
}

/** The header the Anthropic and GenAI SDKs send a batch's tags in: `team=search,project=atlas`. */
export const tagsHeader = "x-finops-tags";

/** AWS's tag rules (a Bedrock job carries the tags): letters, digits, spaces and `_ . : / = + @ -`. */
const tagText = /^[\p{L}\p{N}\s_.:/=+@-]*$/u;
/** At most this many tags on a batch (AWS takes 50 on a resource). */
export const maxTags = 50;

/** The tags, checked against AWS's rules; a 400 naming the first that breaks one, and where it came from. */
export const checkedTags = (tags: Tags, from: string): Tags => {
  const entries = Object.entries(tags);
  if (entries.length > maxTags)
    throw new BadRequestError(`${from}: ${entries.length} tags; a batch carries at most ${maxTags}.`, { param: from });
  for (const [key, value] of entries) {
    const bad =
      key.length < 1 || key.length > 128
        ? "a key is 1 to 128 characters"
        : value.length > 256
          ? "a value is at most 256 characters"
          : !tagText.test(key) || !tagText.test(value)
            ? "keys and values hold letters, digits, spaces and _ . : / = + @ - only"
            : key.toLowerCase().startsWith("aws:")
              ? "keys starting aws: are AWS's own"
              : undefined;
    if (bad) throw new BadRequestError(`${from}: tag ${JSON.stringify(key)} cannot be kept: ${bad}.`, { param: from });
  }
  return tags;
};

/** `team=search,cost-centre=4410` as tags (a 400 naming `from` for an entry without `=`). */
export const parseTags = (text: string, from: string): Tags => {
  const tags: Tags = {};
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf("=");
    if (at <= 0)
      throw new BadRequestError(`${from}: ${JSON.stringify(entry)} is not key=value (team=search,project=atlas).`, {
        param: from,
      });
    tags[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return checkedTags(tags, from);
};

/** Key/value pairs a batch was given as tags, less the gateway's own settings among them (`finops_…`, …). */
export const tagsAmong = (pairs: Record<string, string> | undefined, from: string, own: readonly string[] = []): Tags =>
  checkedTags(
    Object.fromEntries(Object.entries(pairs ?? {}).filter(([key]) => !key.startsWith("finops_") && !own.includes(key))),
    from,
  );

/** The group a tag puts a batch in, for a report grouped by `tag:{key}`. */
export const untagged = "(untagged)";
