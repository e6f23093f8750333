// Issue 15's measure: how many of the PyTorch API uses of real programs Kiln has under PyTorch's
// camelCased names. Maps each name of tools/api-coverage/uses.json (written by extract.py) to the
// Kiln name it should have, looks that name up in the exports it is given, and renders the report
// docs/api-coverage.md. Pure: no Python, no file writes; check.ts and the test call it.

/** One program of the corpus and the PyTorch names it uses (each once). */
export interface Program {
  repo: string;
  path: string;
  commit: string;
  names: string[];
}

/** tools/api-coverage/uses.json, as extract.py writes it. */
export interface UsesFile {
  generator: string;
  torch: string;
  torchvision: string;
  /** `torch.X` attributes that are dtypes, and the dtype each names (`long` → `int64`). */
  torchDtypes: Record<string, string>;
  tensorMethodsExcludedAsAmbiguous: string[];
  programs: Program[];
  skipped: { repo: string; path: string; reason: string }[];
}

/** A row of docs/names.json: a PyTorch name and the Kiln name that stands for it. */
export interface NameRow {
  torch: string;
  kiln: string;
}

/** The areas the measure counts, in report order. */
export const AREAS = [
  "torch",
  "dtypes",
  "Tensor",
  "nn",
  "nn.functional",
  "nn.init",
  "optim",
  "optim.lrScheduler",
  "data",
  "data.transforms",
  "data.datasets",
  "models",
  "linalg",
  "autograd",
] as const;
export type Area = (typeof AREAS)[number];

/** PyTorch module prefix → area and the Kiln path its members live under (longest first). */
const PREFIXES: readonly (readonly [string, Area, string])[] = [
  ["torch.Tensor.", "Tensor", "Tensor#"],
  ["torch.nn.functional.", "nn.functional", "nn.functional."],
  ["torch.nn.init.", "nn.init", "nn.init."],
  ["torch.nn.utils.rnn.", "nn", "nn.utils.rnn."],
  ["torch.nn.utils.", "nn", "nn.utils."],
  ["torch.nn.", "nn", "nn."],
  ["torch.optim.lr_scheduler.", "optim.lrScheduler", "optim.lrScheduler."],
  ["torch.optim.", "optim", "optim."],
  ["torch.utils.data.", "data", "data."],
  ["torchvision.transforms.functional.", "data.transforms", "data.transforms.functional."],
  ["torchvision.transforms.", "data.transforms", "data.transforms."],
  ["torchvision.datasets.", "data.datasets", "data.datasets."],
  ["torchvision.models.", "models", "models."],
  ["torch.linalg.", "linalg", "linalg."],
  ["torch.autograd.functional.", "autograd", "autograd.functional."],
  ["torch.autograd.", "autograd", "autograd."],
  ["torch.", "torch", ""],
];

/** Public paths PyTorch users write for a name docs/names.json lists under its defining module. */
const ROW_ALIASES: Readonly<Record<string, string>> = {
  "torch.utils.tensorboard.SummaryWriter": "torch.utils.tensorboard.writer.SummaryWriter",
};

/**
 * PyTorch's snake_case → Kiln's camelCase; leading/trailing `_`, an `_` before a digit
 * (`wide_resnet50_2` → `wideResnet50_2`) and class names unchanged.
 */
export function camel(name: string): string {
  if (/^[A-Z]/.test(name)) return name;
  const m = /^(_*)(.*?)(_*)$/.exec(name)!;
  return m[1]! + m[2]!.replace(/_([a-zA-Z])/g, (_, c: string) => c.toUpperCase()) + m[3]!;
}

/** Where a used name belongs: an area and the Kiln names that count as it, or null (outside). */
export interface Target {
  area: Area | null;
  kiln: string[];
}

/**
 * The area of a PyTorch name and the Kiln names that stand for it: docs/names.json's rows when it
 * has any (they record the deliberate differences, e.g. `torch.no_grad` → `noGrad`), else the
 * namespace mapping with the member camelCased. dtypes map to Kiln's dtype strings.
 */
export function target(name: string, uses: UsesFile, rowMap: Map<string, string[]>): Target {
  const rows = { get: (n: string) => rowMap.get(n) ?? rowMap.get(ROW_ALIASES[n] ?? "") };
  for (const [prefix, area, kilnPrefix] of PREFIXES) {
    if (!name.startsWith(prefix)) continue;
    const member = name.slice(prefix.length);
    if (member.includes(".")) return { area: null, kiln: rows.get(name) ?? [] };
    if (area === "torch" && member in uses.torchDtypes) {
      return { area: "dtypes", kiln: [`"${uses.torchDtypes[member]}"`] };
    }
    return { area, kiln: rows.get(name) ?? [kilnPrefix + camel(member)] };
  }
  return { area: null, kiln: rows.get(name) ?? [] };
}

/** `obj[key]` when Kiln defines it: what every object or function inherits does not count. */
function own(obj: unknown, key: string): unknown {
  if ((typeof obj !== "object" && typeof obj !== "function") || obj === null) return undefined;
  if (!(key in obj)) return undefined;
  const v = (obj as Record<string, unknown>)[key];
  const inherited =
    (Object.prototype as Record<string, unknown>)[key] === v ||
    (Function.prototype as unknown as Record<string, unknown>)[key] === v;
  return inherited ? undefined : v;
}

/**
 * Whether Kiln has `path`: `a.b.c` walks the exports, `A#m` is a member (method or getter) of
 * A's prototype, `"int64"` a dtype Kiln supports.
 */
export function present(kiln: object, path: string, dtypes: readonly string[]): boolean {
  if (path.startsWith('"')) return dtypes.includes(path.slice(1, -1));
  const [dotted, member] = path.split("#") as [string, string | undefined];
  let obj: unknown = kiln;
  for (const part of dotted === "" ? [] : dotted.split(".")) obj = own(obj, part);
  if (member === undefined) return obj !== undefined;
  const proto = own(obj, "prototype");
  if (proto === undefined || !(member in (proto as object))) return false;
  return !(member in Object.prototype);
}

export interface NameStat {
  name: string;
  area: Area | null;
  kiln: string[];
  present: boolean;
  programs: number;
}

export interface Coverage {
  programs: number;
  programsUsing: number;
  uses: number;
  covered: number;
  byArea: Map<Area, { uses: number; covered: number }>;
  names: NameStat[];
}

/** Counts each name once per program; names outside the areas are kept apart (area null). */
export function computeCoverage(
  uses: UsesFile,
  kiln: object,
  rows: readonly NameRow[],
  dtypes: readonly string[],
): Coverage {
  const rowMap = new Map<string, string[]>();
  for (const r of rows) rowMap.set(r.torch, [...(rowMap.get(r.torch) ?? []), r.kiln]);
  const stats = new Map<string, NameStat>();
  for (const p of uses.programs) {
    for (const name of new Set(p.names)) {
      let s = stats.get(name);
      if (s === undefined) {
        const t = target(name, uses, rowMap);
        const has = t.kiln.some((k) => present(kiln, k, dtypes));
        s = { name, area: t.area, kiln: t.kiln, present: has, programs: 0 };
        stats.set(name, s);
      }
      s.programs++;
    }
  }
  const byArea = new Map<Area, { uses: number; covered: number }>();
  for (const a of AREAS) byArea.set(a, { uses: 0, covered: 0 });
  let total = 0;
  let covered = 0;
  for (const s of stats.values()) {
    if (s.area === null) continue;
    const a = byArea.get(s.area)!;
    a.uses += s.programs;
    total += s.programs;
    if (s.present) {
      a.covered += s.programs;
      covered += s.programs;
    }
  }
  const names = [...stats.values()].sort(
    (x, y) => y.programs - x.programs || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0),
  );
  return {
    programs: uses.programs.length,
    programsUsing: uses.programs.filter((p) => p.names.some((n) => stats.get(n)?.area)).length,
    uses: total,
    covered,
    byArea,
    names,
  };
}

const pct = (a: number, b: number): string => (b === 0 ? "–" : `${((100 * a) / b).toFixed(1)}%`);

/** Outside names grouped by their namespace (`torch.distributed.rpc.x` → `torch.distributed`). */
function namespaceOf(name: string): string {
  return name.split(".").slice(0, 2).join(".");
}

/** docs/api-coverage.md. */
export function renderReport(uses: UsesFile, cov: Coverage): string {
  const repos = new Map<string, string>();
  for (const p of uses.programs) repos.set(p.repo, p.commit);
  const out: string[] = [
    "# API coverage of real PyTorch code",
    "",
    "<!-- Generated: `npm run api-coverage` (node --import tsx tools/api-coverage/check.ts) reads",
    "tools/api-coverage/uses.json; `/usr/bin/python3 tools/api-coverage/extract.py` rebuilds that",
    "from the corpus. Do not edit: test/docs/api-coverage.test.ts fails when this is not current. -->",
    "",
    "Issue 15's measure: of the PyTorch API names that real programs use, counting each name once",
    "per program that uses it, the share Kiln has under PyTorch's camelCased names (or under the",
    "name docs/names.json gives it). How names are found, and which method calls count, is",
    "described at the top of tools/api-coverage/extract.py.",
    "",
    `Corpus: ${cov.programs} programs (each .py file, and each notebook's code cells), of which`,
    `${cov.programsUsing} use the measured namespaces, from:`,
    "",
    ...[...repos].map(([r, c]) => `- https://github.com/${r} at ${c}`),
    ...uses.skipped.map((s) => `- not read: ${s.repo} ${s.path} (${s.reason})`),
    "",
    `**Coverage: ${pct(cov.covered, cov.uses)}** (${cov.covered} of ${cov.uses} uses; target 97%).`,
    "",
    "| Area | Uses | Present | Coverage | Missing names |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const a of AREAS) {
    const s = cov.byArea.get(a)!;
    const missing = cov.names.filter((n) => n.area === a && !n.present).length;
    out.push(`| ${a} | ${s.uses} | ${s.covered} | ${pct(s.covered, s.uses)} | ${missing} |`);
  }
  out.push(`| **all** | ${cov.uses} | ${cov.covered} | ${pct(cov.covered, cov.uses)} | |`, "");
  out.push("## Missing names", "", "By area, most used first.", "");
  for (const a of AREAS) {
    const missing = cov.names.filter((n) => n.area === a && !n.present);
    if (missing.length === 0) continue;
    out.push(
      `### ${a}`,
      "",
      "| PyTorch | Kiln name looked for | Programs |",
      "| --- | --- | ---: |",
    );
    for (const n of missing) {
      out.push(`| \`${n.name}\` | ${n.kiln.map((k) => `\`${k}\``).join(", ")} | ${n.programs} |`);
    }
    out.push("");
  }
  const outside = cov.names.filter((n) => n.area === null);
  const groups = new Map<string, NameStat[]>();
  for (const n of outside)
    groups.set(namespaceOf(n.name), [...(groups.get(namespaceOf(n.name)) ?? []), n]);
  out.push(
    "## Outside the measured namespaces (not counted)",
    "",
    "Accelerators, distributed execution, tracing/compilation and other namespaces that issue 15",
    "does not ask for. Present means docs/names.json maps the name to a Kiln export that exists.",
    "",
    "| PyTorch | Programs | Present |",
    "| --- | ---: | --- |",
  );
  const ordered = [...groups].sort(
    (x, y) =>
      Math.max(...y[1].map((n) => n.programs)) - Math.max(...x[1].map((n) => n.programs)) ||
      (x[0] < y[0] ? -1 : 1),
  );
  for (const [, names] of ordered) {
    for (const n of names) {
      out.push(
        `| \`${n.name}\` | ${n.programs} | ${n.present ? `yes (\`${n.kiln.join("`, `")}\`)` : "no"} |`,
      );
    }
  }
  out.push("");
  return out.join("\n");
}
