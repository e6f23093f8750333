// Types of tools/build-browser.mjs for the TypeScript callers (test/browser).
export function buildBrowser(options?: { quiet?: boolean }): Promise<void>;
export function bundle(options: {
  entry: string;
  outfile: string;
  extra?: Record<string, string>;
  minify?: boolean;
}): Promise<{ result: unknown; shimmedBy: Map<string, Set<string>>; swapped: Set<string> }>;
export function browserPlugin(record?: {
  shimmedBy?: Map<string, Set<string>>;
  swapped?: Set<string>;
  extra?: Record<string, string>;
}): unknown;
