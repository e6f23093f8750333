// summary(model, inputShape): a table of layers, output shapes and parameter counts, in the
// manner of torchsummary/torchinfo (PyTorch itself has none).

import { checkArity, oneOf, opt, parseOptions, signature } from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { full } from "../ops/dispatch.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { AnyModule } from "./module.ts";

/**
 * One row of `summaryRows`: a module's dotted name, class, output shape (null when not a tensor)
 * and own parameter count.
 */
export interface SummaryRow {
  name: string;
  type: string;
  outputShape: number[] | null;
  params: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

const SUMMARY_OPTIONS = signature(
  "nn.summary",
  {},
  { dtype: opt(oneOf("float32", "float64"), "float32") },
);

/**
 * Runs one forward pass on zeros of `inputShape` (batch dim included) in eval mode and returns
 * a printable table: layer (dotted name and type), output shape, parameter count, totals.
 * Training flags and running statistics are left as they were.
 *
 * @example console.log(nn.summary(model, [1, 784]));
 */
export function summary(
  model: AnyModule,
  inputShape: readonly number[],
  options: { dtype?: DType } = {},
): string {
  if (arguments.length > 3) checkArity("nn.summary", arguments, 3);
  const rows = summaryRows(model, inputShape, options);
  const total = model.parameters().reduce((a, p) => a + p.numel(), 0);
  const trainable = model.parameters().reduce((a, p) => a + (p.requiresGrad ? p.numel() : 0), 0);
  const cells = rows.map((r) => [
    `${r.name} (${r.type})`,
    r.outputShape === null ? "--" : `[${r.outputShape.join(", ")}]`,
    fmt(r.params),
  ]);
  const head = ["Layer (type)", "Output Shape", "Param #"];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `${c[0]!.padEnd(w[0]!)}  ${c[1]!.padEnd(w[1]!)}  ${c[2]!.padStart(w[2]!)}`;
  const width = w[0]! + w[1]! + w[2]! + 4;
  return [
    "=".repeat(width),
    line(head),
    "=".repeat(width),
    ...cells.map(line),
    "=".repeat(width),
    `Total params: ${fmt(total)}`,
    `Trainable params: ${fmt(trainable)}`,
    `Non-trainable params: ${fmt(total - trainable)}`,
    "=".repeat(width),
  ].join("\n");
}

/** The rows of `summary`: every module below the root, in call order of the leaves. */
export function summaryRows(
  model: AnyModule,
  inputShape: readonly number[],
  options: { dtype?: DType } = {},
): SummaryRow[] {
  if (arguments.length > 3) checkArity("nn.summaryRows", arguments, 3);
  parseOptions(SUMMARY_OPTIONS, options);
  const named = model.namedModules().slice(1);
  const rows = new Map<AnyModule, SummaryRow>();
  const order: SummaryRow[] = [];
  for (const [name, m] of named) {
    rows.set(m, {
      name,
      type: m.constructor.name,
      outputShape: null,
      params: m.parameters({ recurse: false }).reduce((a, p) => a + p.numel(), 0),
    });
  }
  const modes = model.modules().map((m) => [m, m.training] as const);
  const handles = named.map(([, m]) =>
    m.registerForwardHook((mod, _args, out) => {
      const r = rows.get(mod)!;
      if (out instanceof Tensor) r.outputShape = [...out.shape];
      if (!order.includes(r)) order.push(r);
    }),
  );
  try {
    model.eval();
    noGrad(() =>
      (model.call as (x: Tensor) => unknown)(full(inputShape, 0, options.dtype ?? "float32")),
    );
  } finally {
    for (const h of handles) h.remove();
    for (const [m, t] of modes) m.training = t;
  }
  // Modules never called (unused) still appear, after the called ones.
  for (const r of rows.values()) if (!order.includes(r)) order.push(r);
  return order;
}
