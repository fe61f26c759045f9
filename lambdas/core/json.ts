/**
 * A string with none of the characters JSON.stringify escapes (controls, `"`, `\`, lone surrogates; any surrogate
 * is sent the slow way). Anchored and negated, irregexp runs it as one tight loop: about twice the speed of
 * searching for the first such character.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON escapes.
const nothingToEscape = /^[^\u0000-\u001f"\\\ud800-\udfff]*$/;

/**
 * `JSON.stringify` for the plain data the gateway writes (objects, arrays, strings, numbers, booleans, null,
 * `toJSON`), giving the same text, faster where it matters: a string with nothing to escape — most prompt and
 * answer text — is copied between quotes after one native regular-expression scan, where V8's stringify (before
 * V8 13.8) escapes it character by character. Anything else goes to `JSON.stringify` itself.
 */
/** Object keys as JSON: a handful of field names repeat on every line, so each is quoted once. */
const quotedKeys = new Map<string, string>();
const quoteKey = (key: string): string => {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted); // bounded: keys of caller metadata vary
  }
  return quoted;
};

export const stringifyJson = (value: unknown): string => {
  if (typeof value === "string") return nothingToEscape.test(value) ? `"${value}"` : JSON.stringify(value);
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (i > 0) text += ",";
      text +=
        item === undefined || typeof item === "function" || typeof item === "symbol" ? "null" : stringifyJson(item);
    }
    return `${text}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function")
    return stringifyJson((value as { toJSON: () => unknown }).toJSON());
  let text = "{";
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    if (text.length > 1) text += ",";
    text += `${quoteKey(key)}:${stringifyJson(item)}`;
  }
  return `${text}}`;
};
