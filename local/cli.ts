import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * A command's options as `parseArgs` reads them from this process's arguments: `--help` (or `-h`) prints the usage
 * and exits 0; an option it cannot read prints why and the usage, and exits 2 — never a stack trace.
 */
export const commandLine = <T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> => {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
};

/**
 * What a command prints: the text for people, or with `--json` its data as one JSON document on stdout (notes
 * go to stderr then, so the output stays parseable).
 */
export const printerFor = (json: boolean | undefined) => ({
  result: (text: string, data: unknown) => console.log(json ? JSON.stringify(data, null, 2) : text),
  note: (text: string) => (json ? console.error(text) : console.log(text)),
});
