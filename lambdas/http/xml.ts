/** The text of an XML element as written: the five named entities and numeric references undone. */
export const unescapeXml = (text: string): string =>
  text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number(entity.slice(1)));
    return { lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" }[entity] ?? "";
  });

/**
 * Escapes text for an XML element or attribute: the five markup characters, and carriage return, line feed and tab
 * as references (as S3 writes them), which XML parsers would otherwise normalize (`\r\n` read back as `\n`).
 */
export const escapeXml = (text: string): string => text.replace(/[<>&"'\r\n\t]/g, (c) => `&#${c.charCodeAt(0)};`);
