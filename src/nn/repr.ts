// Python-style formatting for module reprs, so `toString()` prints what PyTorch prints.
// Depends on nothing.

/** A float as Python's repr writes it: `1.0`, `0.1`, `1e-05`. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [m, e] = x.toExponential().split("e") as [string, string];
    const sign = e.startsWith("-") ? "-" : "+";
    return `${m}e${sign}${e.replace(/^[-+]/, "").padStart(2, "0")}`;
  }
  return String(x);
}

export function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

/** A number as given, or a tuple `(a, b)` / `(a,)`. */
export function pyTuple(v: number | readonly number[]): string {
  if (typeof v === "number") return String(v);
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(", ")})`;
}
