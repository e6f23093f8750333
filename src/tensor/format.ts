// String(t): PyTorch's tensor repr (torch/_tensor_str.py, PyTorch 1.13): precision 4, fixed or
// scientific notation chosen over the shown values, summarised with "..." past 1000 elements,
// rows wrapped at 80 columns, and the dtype / requires_grad / grad_fn suffixes; all of them
// settable with setPrintoptions, as torch.set_printoptions.

import { bool, int, nullable, num, oneOf, opt, parseArgs, signature } from "../core/args.ts";
import { isFloating, isHalf } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import type { Tensor } from "./tensor-class.ts";

/** The print options (torch._tensor_str.PRINT_OPTS); `sciMode` null lets the values decide. */
export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sciMode: boolean | null;
}

const OPTS: PrintOptions = {
  precision: 4,
  threshold: 1000,
  edgeitems: 3,
  linewidth: 80,
  sciMode: null,
};

const PROFILES = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 },
  full: { precision: 4, threshold: Number.POSITIVE_INFINITY, edgeitems: 3, linewidth: 80 },
} as const;

let SIG: ReturnType<typeof makeSig> | null = null;
function makeSig() {
  return signature("setPrintoptions", {
    precision: opt(nullable(int), null),
    threshold: opt(nullable(num), null),
    edgeitems: opt(nullable(int), null),
    linewidth: opt(nullable(int), null),
    profile: opt(nullable(oneOf("default", "short", "full")), null),
    sciMode: opt(nullable(bool), null),
  });
}

/** The keyword form of setPrintoptions. */
export interface SetPrintOptions {
  precision?: number | null;
  threshold?: number | null;
  edgeitems?: number | null;
  linewidth?: number | null;
  profile?: "default" | "short" | "full" | null;
  sciMode?: boolean | null;
}

/**
 * Sets how tensors print, as torch.set_printoptions(precision=None, threshold=None,
 * edgeitems=None, linewidth=None, profile=None, sci_mode=None): `profile` ("default", "short",
 * "full") first sets the other four, then each option given overrides it; `sciMode` is always
 * set (null: chosen from the values), as in PyTorch.
 *
 * @example setPrintoptions({ precision: 2, sciMode: false }); String(tensor([1.23456]))
 */
export function setPrintoptions(
  ...args:
    | [options?: SetPrintOptions]
    | [
        precision?: number | null,
        threshold?: number | null,
        edgeitems?: number | null,
        linewidth?: number | null,
        profile?: "default" | "short" | "full" | null,
        sciMode?: boolean | null,
      ]
): void;
export function setPrintoptions(..._args: unknown[]): void {
  SIG ??= makeSig();
  const p = parseArgs(SIG, arguments);
  for (const k of ["precision", "edgeitems", "linewidth"] as const) {
    const v = p[k];
    if (v !== null && v < 0) throw new ValueError(`setPrintoptions: ${k} must be >= 0, got ${v}`);
  }
  if (p.profile !== null) Object.assign(OPTS, PROFILES[p.profile]);
  if (p.precision !== null) OPTS.precision = p.precision;
  if (p.threshold !== null) OPTS.threshold = p.threshold;
  if (p.edgeitems !== null) OPTS.edgeitems = p.edgeitems;
  if (p.linewidth !== null) OPTS.linewidth = p.linewidth;
  OPTS.sciMode = p.sciMode;
}

/** A copy of the current print options (torch._tensor_str.PRINT_OPTS). */
export function getPrintoptions(): PrintOptions {
  return { ...OPTS };
}

/**
 * Rounds half to even where JavaScript rounds half away from zero: `rounded` is JS's rounding of
 * a value whose exact decimal expansion is `exact` (mantissa digits only, no sign); when that
 * expansion is a tie at `keep` digits and the digit kept would be odd, the truncation wins.
 */
function halfEven(rounded: string, exact: string, keep: number): string {
  const digits = exact.replace(/\D/g, "");
  const tail = digits.slice(keep);
  if (!/^50*$/.test(tail)) return rounded;
  const last = Number(digits[keep - 1] ?? "0");
  if (last % 2 !== 0) return rounded;
  // truncate `exact` after its keep-th digit
  let seen = 0;
  let cut = 0;
  while (seen < keep && cut < exact.length) if (/\d/.test(exact[cut++]!)) seen++;
  return exact.slice(0, cut).replace(/\.$/, "");
}

/** Python's "{:.Nf}" (exact ties round half to even, as Python's correctly rounded format). */
function pyFixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  let s = v.toFixed(digits);
  if (Math.abs(v) < 1e21 && digits + 30 <= 100) {
    const exact = Math.abs(v).toFixed(digits + 30);
    const intDigits = exact.indexOf(".");
    const body = halfEven(s.replace(/^-/, ""), exact, intDigits + digits);
    s = v < 0 ? `-${body}` : body;
  }
  return Object.is(v, -0) || (v < 0 && Number(s) === 0) ? `-${s.replace(/^-/, "")}` : s;
}

/** Python's "{:.Ne}": mantissa with N digits, exponent signed with at least two digits. */
function pyExp(v: number, digits: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  let [m, e] = v.toExponential(digits).split("e") as [string, string];
  if (digits + 25 <= 100) {
    const [exact, e2] = Math.abs(v)
      .toExponential(digits + 25)
      .split("e") as [string, string];
    const body = halfEven(m.replace(/^-/, ""), exact, digits + 1);
    if (body !== m.replace(/^-/, "")) {
      m = v < 0 ? `-${body}` : body;
      e = e2;
    }
  }
  const sign = e.startsWith("-") ? "-" : "+";
  return `${m}e${sign}${e.replace(/^[+-]/, "").padStart(2, "0")}`;
}

class Formatter {
  readonly floating: boolean;
  intMode = true;
  sciMode = false;
  width = 1;

  constructor(dtype: Tensor["dtype"], values: ArrayLike<number | bigint>) {
    this.floating = isFloating(dtype);
    if (!this.floating) {
      for (let i = 0; i < values.length; i++) {
        this.width = Math.max(this.width, this.plain(values[i]!, dtype === "bool").length);
      }
      return;
    }
    // NOTE: as PyTorch, a forced sciMode changes the notation but not the width computed from
    // the values, and does not apply when no value is finite and non-zero.
    if (this.computeWidth(values as ArrayLike<number>) && OPTS.sciMode !== null)
      this.sciMode = OPTS.sciMode;
  }

  private computeWidth(values: ArrayLike<number>): boolean {
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isFinite(v) && v !== 0) finite.push(v);
    }
    if (finite.length === 0) return false;
    const abs = finite.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    this.intMode = finite.every((v) => v === Math.ceil(v));
    if (this.intMode) {
      this.sciMode = max / min > 1000 || max > 1e8;
      for (const v of finite) {
        this.width = Math.max(
          this.width,
          this.sciMode ? pyExp(v, OPTS.precision).length : pyFixed(v, 0).length + 1,
        );
      }
    } else {
      this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
      for (const v of finite) {
        this.width = Math.max(
          this.width,
          (this.sciMode ? pyExp(v, OPTS.precision) : pyFixed(v, OPTS.precision)).length,
        );
      }
    }
    return true;
  }

  private plain(v: number | bigint, bool: boolean): string {
    return bool ? (v !== 0 ? "True" : "False") : String(v);
  }

  format(value: number | bigint, bool: boolean): string {
    let s: string;
    const v = Number(value);
    if (!this.floating) s = this.plain(value, bool);
    else if (this.sciMode) s = pyExp(v, OPTS.precision);
    else if (this.intMode) s = pyFixed(v, 0) + (Number.isFinite(v) ? "." : "");
    else s = pyFixed(v, OPTS.precision);
    return s.padStart(this.width);
  }
}

// The elements that will be shown, for choosing the format (get_summarized_data).
function shownValues(t: Tensor, summarize: boolean, out: (number | bigint)[]): void {
  if (t.ndim === 0) {
    out.push(element(t));
    return;
  }
  const n = t.shape[0]!;
  for (const i of shownRows(n, summarize)) shownValues(t.select(0, i), summarize, out);
}

/** The value of a 0-d tensor, exactly: an int64 beyond 2^53 as a bigint (item() would refuse it). */
function element(t: Tensor): number | bigint {
  return t.dtype === "int64"
    ? ((t.contiguous().dataSync() as unknown as BigInt64Array)[0] as bigint)
    : Number(t.item());
}

/** The rows shown of a dim of size n: the first and last `edgeitems` when summarised. */
function shownRows(n: number, summarize: boolean): number[] {
  const e = OPTS.edgeitems;
  if (!(summarize && n > 2 * e)) return [...Array(n).keys()];
  // NOTE: Python's t[-0:] is all of t, so edgeitems 0 keeps every row after the "..." (1.13).
  const tail = e === 0 ? n : e;
  return [...Array(e).keys(), ...Array.from({ length: tail }, (_, i) => n - tail + i)];
}

function vectorStr(
  t: Tensor,
  indent: number,
  summarize: boolean,
  f: Formatter,
  bool: boolean,
): string {
  const perLine = Math.max(1, Math.floor((OPTS.linewidth - indent) / (f.width + 2)));
  const values = Array.from(t.dataSync(), (v) => f.format(v, bool));
  const n = values.length;
  const e = OPTS.edgeitems;
  // NOTE: as PyTorch 1.13, edgeitems 0 shows " ..." and then every value (t[-0:] is all of t).
  const data =
    summarize && n > 2 * e
      ? [...values.slice(0, e), " ...", ...(e === 0 ? values : values.slice(n - e))]
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
  if (t.ndim === 0) return f.format(element(t), bool);
  if (t.ndim === 1) return vectorStr(t, indent, summarize, f, bool);
  const n = t.shape[0]!;
  const sub = (i: number) => tensorStr(t.select(0, i), indent + 1, summarize, f, bool);
  const e = OPTS.edgeitems;
  const slices =
    summarize && n > 2 * e
      ? [
          ...[...Array(e).keys()].map(sub),
          "...",
          ...Array.from({ length: e }, (_, i) => sub(n - e + i)),
        ]
      : [...Array(n).keys()].map(sub);
  return `[${slices.join(`,${"\n".repeat(t.ndim - 1)}${" ".repeat(indent + 1)}`)}]`;
}

function addSuffixes(body: string, suffixes: readonly string[], indent: number): string {
  const parts = [body];
  let lastLen = body.length - body.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLen + s.length + 2 > OPTS.linewidth) {
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
    const summarize = t.numel() > OPTS.threshold;
    const shown: (number | bigint)[] = [];
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
