// String(t): PyTorch's tensor repr (torch/_tensor_str.py, PyTorch 1.13): precision 4, fixed or
// scientific notation chosen over the shown values, summarised with "..." past 1000 elements,
// rows wrapped at 80 columns, and the dtype / requires_grad / grad_fn suffixes.

import { isFloating, isHalf } from "../core/dtype.ts";
import type { Tensor } from "./tensor.ts";

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

/** Python's "{:.Nf}". */
function pyFixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const s = v.toFixed(digits);
  return Object.is(v, -0) || (v < 0 && Number(s) === 0) ? `-${s.replace(/^-/, "")}` : s;
}

/** Python's "{:.Ne}": mantissa with N digits, exponent signed with at least two digits. */
function pyExp(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const [m, e] = v.toExponential(digits).split("e") as [string, string];
  const sign = e.startsWith("-") ? "-" : "+";
  return `${m}e${sign}${e.replace(/^[+-]/, "").padStart(2, "0")}`;
}

class Formatter {
  readonly floating: boolean;
  intMode = true;
  sciMode = false;
  width = 1;

  constructor(dtype: Tensor["dtype"], values: ArrayLike<number>) {
    this.floating = isFloating(dtype);
    if (!this.floating) {
      for (let i = 0; i < values.length; i++) {
        this.width = Math.max(this.width, this.plain(values[i]!, dtype === "bool").length);
      }
      return;
    }
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isFinite(v) && v !== 0) finite.push(v);
    }
    if (finite.length === 0) return;
    const abs = finite.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    this.intMode = finite.every((v) => v === Math.ceil(v));
    if (this.intMode) {
      this.sciMode = max / min > 1000 || max > 1e8;
      for (const v of finite) {
        this.width = Math.max(
          this.width,
          this.sciMode ? pyExp(v, PRECISION).length : pyFixed(v, 0).length + 1,
        );
      }
    } else {
      this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
      for (const v of finite) {
        this.width = Math.max(
          this.width,
          (this.sciMode ? pyExp(v, PRECISION) : pyFixed(v, PRECISION)).length,
        );
      }
    }
  }

  private plain(v: number, bool: boolean): string {
    return bool ? (v !== 0 ? "True" : "False") : String(v);
  }

  format(v: number, bool: boolean): string {
    let s: string;
    if (!this.floating) s = this.plain(v, bool);
    else if (this.sciMode) s = pyExp(v, PRECISION);
    else if (this.intMode) s = pyFixed(v, 0) + (Number.isFinite(v) ? "." : "");
    else s = pyFixed(v, PRECISION);
    return s.padStart(this.width);
  }
}

// The elements that will be shown, for choosing the format (get_summarized_data).
function shownValues(t: Tensor, summarize: boolean, out: number[]): void {
  if (t.ndim === 0) {
    out.push(Number(t.item()));
    return;
  }
  const n = t.shape[0]!;
  const rows = summarize && n > 2 * EDGE ? [0, 1, 2, n - 3, n - 2, n - 1] : [...Array(n).keys()];
  for (const i of rows) shownValues(t.select(0, i), summarize, out);
}

function vectorStr(
  t: Tensor,
  indent: number,
  summarize: boolean,
  f: Formatter,
  bool: boolean,
): string {
  const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (f.width + 2)));
  const values = Array.from(t.dataSync(), (v) => f.format(v, bool));
  const n = values.length;
  const data =
    summarize && n > 2 * EDGE
      ? [...values.slice(0, EDGE), " ...", ...values.slice(n - EDGE)]
      : values;
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return `[${lines.join(`,\n${" ".repeat(indent + 1)}`)}]`;
}

function tensorStr(
  t: Tensor,
  indent: number,
  summarize: boolean,
  f: Formatter,
  bool: boolean,
): string {
  if (t.ndim === 0) return f.format(Number(t.item()), bool);
  if (t.ndim === 1) return vectorStr(t, indent, summarize, f, bool);
  const n = t.shape[0]!;
  const sub = (i: number) => tensorStr(t.select(0, i), indent + 1, summarize, f, bool);
  const slices =
    summarize && n > 2 * EDGE
      ? [...[0, 1, 2].map(sub), "...", ...[n - 3, n - 2, n - 1].map(sub)]
      : [...Array(n).keys()].map(sub);
  return `[${slices.join(`,${"\n".repeat(t.ndim - 1)}${" ".repeat(indent + 1)}`)}]`;
}

function addSuffixes(body: string, suffixes: readonly string[], indent: number): string {
  const parts = [body];
  let lastLen = body.length - body.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLen + s.length + 2 > LINEWIDTH) {
      parts.push(`,\n${" ".repeat(indent)}${s}`);
      lastLen = indent + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLen += s.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

/** Formats a tensor as PyTorch prints it, with Kiln's dtype names in the suffix. */
export function formatTensor(t: Tensor): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const suffixes: string[] = [];
  const defaultDtype = t.dtype === "float32" || t.dtype === "int32" || t.dtype === "bool";
  let body: string;
  if (t.numel() === 0) {
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(", ")})`);
    if (t.dtype !== "float32") suffixes.push(`dtype=${t.dtype}`);
    body = "[]";
  } else {
    if (!defaultDtype) suffixes.push(`dtype=${t.dtype}`);
    const summarize = t.numel() > THRESHOLD;
    const shown: number[] = [];
    // float16/bfloat16 values are exact in float32, and print as floats do
    const v = isHalf(t.dtype) ? t.detach().float() : t.detach();
    shownValues(v, summarize, shown);
    const bool = t.dtype === "bool";
    body = tensorStr(v, indent, summarize, new Formatter(v.dtype, shown), bool);
  }
  if (t.gradFn !== null) suffixes.push(`grad_fn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent);
}
