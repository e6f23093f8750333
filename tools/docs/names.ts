// Renders docs/names.md, the PyTorch → Kiln name table, from docs/names.json. Each PyTorch name
// links to PyTorch's documentation, each Kiln name to its page in the TypeDoc reference.
// Run: node --import tsx tools/docs/names.ts   (test/docs/names.test.ts checks the output is current)

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** One row: a PyTorch name, the Kiln declaration reference it becomes, and an optional note. */
export interface NameRow {
  torch: string;
  kiln: string;
  note?: string;
  url?: string;
}

/** A titled group of rows. */
export interface NameSection {
  title: string;
  intro: string;
  rows: NameRow[];
}

/** The shape of docs/names.json. */
export interface NameTable {
  sections: NameSection[];
}

const DOCS = "https://pytorch.org/docs/stable";

/** The documentation page of a PyTorch (or torchvision, safetensors) name. */
export function torchUrl(row: NameRow): string {
  const name = row.torch;
  if (row.url !== undefined) return row.url;
  if (name.startsWith("torch.nn.Module.")) return `${DOCS}/generated/torch.nn.Module.html#${name}`;
  if (name.startsWith("torch.nn.init.")) return `${DOCS}/nn.init.html#${name}`;
  if (name.startsWith("torch.utils.data.")) {
    return `${DOCS}/data.html#${name.split(".").slice(0, 4).join(".")}`;
  }
  if (name.startsWith("torch.utils.tensorboard.")) return `${DOCS}/tensorboard.html#${name}`;
  if (name.startsWith("torch.optim.lr_scheduler.LRScheduler.")) {
    return `${DOCS}/generated/torch.optim.lr_scheduler.LRScheduler.html#${name}`;
  }
  if (name.startsWith("torch.onnx.")) return `${DOCS}/onnx.html`;
  if (name.startsWith("torchvision."))
    return `https://pytorch.org/vision/stable/generated/${name}.html`;
  if (name.startsWith("safetensors."))
    return `https://huggingface.co/docs/safetensors/api/torch#${name}`;
  return `${DOCS}/generated/${name}.html`;
}

const cell = (s: string): string => s.replaceAll("|", "\\|");

/** The Markdown of docs/names.md for a table. */
export function renderNames(table: NameTable): string {
  const out = [
    "---",
    "title: PyTorch to Kiln names",
    "---",
    "",
    "# PyTorch → Kiln names",
    "",
    "<!-- Generated from docs/names.json by tools/docs/names.ts: edit the JSON, then run",
    "     `node --import tsx tools/docs/names.ts`. -->",
    "",
    "Kiln's names are PyTorch's under four rules (see the [porting guide](./porting-guide.md)):",
    "snake_case becomes camelCase, keyword arguments go into one trailing options object, a trailing",
    "`_` means in place, and state-dict keys, layouts and defaults stay PyTorch's. Each PyTorch name",
    "links to PyTorch's documentation; each Kiln name links to its page in this reference.",
    "A name missing here is not in Kiln yet.",
    "",
  ];
  for (const section of table.sections) {
    out.push(`## ${section.title}`, "");
    if (section.intro !== "") out.push(section.intro, "");
    out.push("| PyTorch | Kiln | Note |", "| --- | --- | --- |");
    for (const row of section.rows) {
      out.push(
        `| [\`${row.torch}\`](${torchUrl(row)}) | {@linkcode ${row.kiln}} | ${cell(row.note ?? "")} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Reads docs/names.json. */
export function readNames(root: string = ROOT): NameTable {
  return JSON.parse(readFileSync(path.join(root, "docs/names.json"), "utf8")) as NameTable;
}

if (import.meta.filename === process.argv[1]) {
  writeFileSync(path.join(ROOT, "docs/names.md"), renderNames(readNames()));
}
