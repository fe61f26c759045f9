import { readdirSync, readFileSync } from "node:fs";
import { extname, join, relative } from "node:path";

/**
 * The docs' generated parts, so a page and what it describes cannot drift apart: examples included by reference
 * (`<!-- include: examples/… -->`, the file itself between the markers) and sections written from the code
 * (`<!-- generated: name -->`, see local/docs-sections.ts). `npm run docs` writes them; test/local/docs.test.ts
 * fails when a page and its sources differ.
 */
export const repoRoot = join(import.meta.dirname, "..");

/** README.md and every page under docs/. */
export const docPages = (): string[] => [
  join(repoRoot, "README.md"),
  ...readdirSync(join(repoRoot, "docs"), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(repoRoot, "docs", name))
    .sort(),
];

/** The widest a docs line may be outside code blocks. */
export const maxLineWidth = 120;

const fence: Record<string, string> = { ".py": "python", ".mjs": "js", ".ts": "ts", ".jsonl": "jsonl", ".txt": "" };

const includeBlock = /(<!-- include: ([^ ]+) -->\n)[\s\S]*?(<!-- end include -->)/g;
const generatedBlock = /(<!-- generated: ([a-z-]+) [^>]*-->\n)[\s\S]*?(<!-- end generated -->)/g;

/** The page with each include and generated section as its source says. */
export const withCurrentParts = (page: string, sections: Record<string, (() => string) | "as written">): string =>
  page
    .replace(includeBlock, (_all, open: string, path: string, close: string) => {
      const text = readFileSync(join(repoRoot, path), "utf8").replace(/\n?$/, "\n");
      return `${open}\`\`\`${fence[extname(path)] ?? ""}\n${text}\`\`\`\n${close}`;
    })
    .replace(generatedBlock, (all: string, open: string, name: string, close: string) => {
      const section = sections[name];
      if (!section) throw new Error(`No generator for the section '${name}'`);
      return section === "as written" ? all : `${open}\n${section().trim()}\n\n${close}`;
    });

/** A generated section of a page as it stands. */
export const sectionOf = (page: string, name: string): string | undefined =>
  [...page.matchAll(generatedBlock)].find((m) => m[2] === name)?.[0];

/** The files a page includes. */
export const includedFiles = (page: string): string[] => [...page.matchAll(includeBlock)].map((m) => m[2] as string);

/** Lines wider than the limit outside fenced code, as `path:line (width)`. */
export const wideLines = (path: string, page: string): string[] => {
  let inCode = false;
  return page.split("\n").flatMap((line, i) => {
    if (line.trimStart().startsWith("```")) inCode = !inCode;
    return !inCode && [...line].length > maxLineWidth
      ? [`${relative(repoRoot, path)}:${i + 1} (${[...line].length})`]
      : [];
  });
};

/** Words of `text` in lines of at most `width` characters, each after `indent`. */
export const wrap = (text: string, indent = "", width = maxLineWidth): string[] => {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
};

/** HTML-escaped text with `code` spans kept as `<code>`, for tables written as HTML (their cells wrap). */
export const htmlText = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replace(/`([^`]+)`/g, "<code>$1</code>");

/** An HTML table whose cells wrap at the docs' width: GitHub renders it as a table, the source stays readable. */
export const htmlTable = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  [
    "<table>",
    "<tr>",
    ...head.flatMap((h) => wrap(`<th>${htmlText(h)}</th>`, "  ")),
    "</tr>",
    ...rows.flatMap((row) => ["<tr>", ...row.flatMap((cell) => wrap(`<td>${htmlText(cell)}</td>`, "  ")), "</tr>"]),
    "</table>",
  ].join("\n");
