// The one description of the native kernels' N-API ABI: per kernel its name, its arguments in
// the positional order the addon takes them (typed arrays with their length expressions and
// nullability, scalars, meta views), the checks on them and (fused) the C call. KERNELS are the
// fused kernels, PRIMITIVES the primitive ones; tools/native-abi.ts generates native/fused_abi.h,
// native/addon_abi.h and src/backend/native/{fused,addon}-abi.ts from it. Depends on nothing.

/** A typed array: `len` is a C expression over the scalars and `g` (the geometry) it needs. */
export interface ArraySpec {
  kind: "f32" | "i32";
  /** The C length it needs at least; absent with `lengthAs`. */
  len?: string;
  /** Binds this name (int64_t) to the array's length, for later arguments' `len`. */
  lengthAs?: string;
  /** The kernel writes it (a non-const pointer in C). */
  out?: boolean;
  /** null (or undefined) passes NULL to the kernel. */
  nullable?: boolean;
}

/** A work buffer the TypeScript side supplies, sized by the kernel `sizer` (floats). */
export interface ScratchSpec {
  kind: "scratch";
  len: string;
  sizer: string;
}

/** A number read as a C double, then converted; bool takes true/false (or a number, != 0). */
export interface ScalarSpec {
  kind: "int64" | "int32" | "float" | "double" | "bool";
}

/** A JavaScript array the C glue reads itself (the handwritten function in `call` walks it). */
export interface ListSpec {
  kind: "list";
}

export type ArgSpec = ArraySpec | ScratchSpec | ScalarSpec | ListSpec;

export interface KernelSpec {
  /** One sentence for the generated TypeScript. */
  doc: string;
  /** Reads the window geometry (kconv g) from the shared meta array, written from a `g` field. */
  geometry?: boolean;
  /** [name, spec] in the order the addon takes them positionally. */
  args: readonly (readonly [string, ArgSpec])[];
  /** [C condition that must hold once the scalars are read, RangeError message]. */
  checks?: readonly (readonly [string, string])[];
  /** A handwritten C check in fused_addon.c, run on the unpacked arrays (it throws itself). */
  validate?: string;
  /** The C call: a kernel of kiln.h, or a handwritten function in fused_addon.c. */
  call: string;
  /** number: the call's value is returned to JavaScript as a double. */
  returns?: "number";
}

const inF32 = (len: string): ArraySpec => ({ kind: "f32", len });
const optF32 = (len: string): ArraySpec => ({ kind: "f32", len, nullable: true });
const outF32 = (len: string): ArraySpec => ({ kind: "f32", len, out: true });
const optOutF32 = (len: string): ArraySpec => ({ kind: "f32", len, out: true, nullable: true });
const int64: ScalarSpec = { kind: "int64" };
const int32: ScalarSpec = { kind: "int32" };
const float: ScalarSpec = { kind: "float" };
const double: ScalarSpec = { kind: "double" };
const bool: ScalarSpec = { kind: "bool" };
const convWork: ScratchSpec = { kind: "scratch", len: "kiln_conv2d_work(&g)", sizer: "conv2dWork" };

/** kconv's fields in meta order (meta[0..21]); the geometry check every window kernel runs. */
// biome-ignore format: one row reads as the struct
export const GEOMETRY_FIELDS = [
  "N", "C", "H", "W", "O", "Ho", "Wo", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "groups",
  "D", "Do", "kd", "sd", "dd", "pd",
] as const;
export const GEOMETRY_CHECK =
  "g->N >= 0 && g->C > 0 && g->H > 0 && g->W > 0 && g->O > 0 && g->Ho > 0 && g->Wo > 0 && " +
  "g->kh > 0 && g->kw > 0 && g->sh > 0 && g->sw > 0 && g->dh > 0 && g->dw > 0 && g->pt >= 0 && " +
  "g->pl >= 0 && g->groups > 0 && g->C % g->groups == 0 && g->O % g->groups == 0 && " +
  "g->D > 0 && g->Do > 0 && g->kd > 0 && g->sd > 0 && g->dd > 0 && g->pd >= 0";

const X = "g.N * g.C * g.D * g.H * g.W";
const Y = "g.N * g.O * g.Do * g.Ho * g.Wo";
const WEIGHT = "g.O * (g.C / g.groups * g.kd * g.kh * g.kw)";
const POOLED = "g.N * g.C * g.Do * g.Ho * g.Wo";
/** The kernels that take only 2-D windows (average pooling) check it. */
const ONLY_2D = [
  "kiln_conv_is_2d(&g)",
  "kiln fused: a 2-D window kernel got a 3-D geometry",
] as const;
const BN = "kiln fused: bad batch norm shape";
const CE = "kiln fused: bad cross-entropy shape";
const LIN = "kiln fused: bad linear shape";
const RNN = "kiln fused: bad recurrent cell shape";
const ROWS = "kiln fused: bad row-kernel shape";

export const KERNELS: Readonly<Record<string, KernelSpec>> = {
  conv2dWork: {
    doc: "Floats of work the conv2d kernels need for the geometry.",
    geometry: true,
    args: [],
    call: "kiln_conv2d_work(&g)",
    returns: "number",
  },
  conv2d: {
    doc: "out [N, O, Ho, Wo] = x [N, C, H, W] cross-correlated with w (+ bias).",
    geometry: true,
    args: [
      ["x", inF32(X)],
      ["w", inF32(WEIGHT)],
      ["bias", optF32("g.O")],
      ["out", outF32(Y)],
      ["work", convWork],
    ],
    call: "kiln_conv2d(&g, x, w, bias, out, work)",
  },
  conv2dInputGrad: {
    doc: "gx [N, C, H, W] from gy [N, O, Ho, Wo] and w.",
    geometry: true,
    args: [
      ["gy", inF32(Y)],
      ["w", inF32(WEIGHT)],
      ["gx", outF32(X)],
      ["work", convWork],
    ],
    call: "kiln_conv2d_input_grad(&g, gy, w, gx, work)",
  },
  conv2dWeightGrad: {
    doc: "gw (and gb when given) from gy and x.",
    geometry: true,
    args: [
      ["gy", inF32(Y)],
      ["x", inF32(X)],
      ["gw", outF32(WEIGHT)],
      ["gb", optOutF32("g.O")],
      ["work", convWork],
    ],
    call: "kiln_conv2d_weight_grad(&g, gy, x, gw, gb, work)",
  },
  maxPool2d: {
    doc: "Window max and its flat input position (-1 for padding).",
    geometry: true,
    args: [
      ["x", inF32(X)],
      ["out", outF32(POOLED)],
      ["argmax", { kind: "i32", len: POOLED, out: true }],
    ],
    checks: [[`${X} <= INT32_MAX`, "kiln fused: input too large"]],
    call: "kiln_max_pool2d(&g, x, out, argmax)",
  },
  maxPool2dBackward: {
    doc: "gx from gy through the argmax positions (each inside its own plane).",
    geometry: true,
    args: [
      ["gy", inF32(POOLED)],
      ["argmax", { kind: "i32", len: POOLED }],
      ["gx", outF32(X)],
    ],
    validate: "pool_indices_ok(&a, &g, argmax)",
    call: "kiln_max_pool2d_backward(&g, gy, argmax, gx)",
  },
  avgPool2d: {
    doc: "Window mean with PyTorch's divisor rules (divisorOverride 0: none).",
    geometry: true,
    args: [
      ["countIncludePad", bool],
      ["divisorOverride", int64],
      ["x", inF32(X)],
      ["out", outF32(POOLED)],
    ],
    checks: [ONLY_2D],
    call: "kiln_avg_pool2d(&g, countIncludePad, divisorOverride, x, out)",
  },
  avgPool2dBackward: {
    doc: "gx from gy of avgPool2d.",
    geometry: true,
    args: [
      ["countIncludePad", bool],
      ["divisorOverride", int64],
      ["gy", inF32(POOLED)],
      ["gx", outF32(X)],
    ],
    checks: [ONLY_2D],
    call: "kiln_avg_pool2d_backward(&g, countIncludePad, divisorOverride, gy, gx)",
  },
  batchNorm: {
    doc: "y = (x - mean) * invstd * w + b over x [N, C, L]; training writes the statistics.",
    args: [
      ["N", int64],
      ["C", int64],
      ["L", int64],
      ["x", inF32("N * C * L")],
      ["w", optF32("C")],
      ["b", optF32("C")],
      ["mean", outF32("C")],
      ["invstd", outF32("C")],
      ["variance", outF32("C")],
      ["eps", double],
      ["training", bool],
      ["y", outF32("N * C * L")],
    ],
    checks: [["N >= 0 && C >= 0 && L >= 0", BN]],
    call: "kiln_batch_norm(N, C, L, x, w, b, mean, invstd, variance, eps, training, y)",
  },
  batchNormBackward: {
    doc: "gx, gw and gb of batchNorm; null ones are skipped.",
    args: [
      ["N", int64],
      ["C", int64],
      ["L", int64],
      ["gy", inF32("N * C * L")],
      ["x", inF32("N * C * L")],
      ["w", optF32("C")],
      ["mean", inF32("C")],
      ["invstd", inF32("C")],
      ["training", bool],
      ["gx", optOutF32("N * C * L")],
      ["gw", optOutF32("C")],
      ["gb", optOutF32("C")],
    ],
    checks: [["N >= 0 && C >= 0 && L >= 0", BN]],
    call: "kiln_batch_norm_backward(N, C, L, gy, x, w, mean, invstd, training, gx, gw, gb)",
  },
  crossEntropy: {
    doc: "Per row of x [rows, C]: loss, the row's weight and log-sum-exp.",
    args: [
      ["rows", int64],
      ["C", int64],
      ["x", inF32("rows * C")],
      ["target", { kind: "i32", len: "rows" }],
      ["weight", optF32("C")],
      ["ignoreIndex", int32],
      ["labelSmoothing", float],
      ["loss", outF32("rows")],
      ["rowWeight", outF32("rows")],
      ["lse", outF32("rows")],
    ],
    checks: [["rows >= 0 && C > 0", CE]],
    validate: "targets_ok(&a, target, rows, C, ignoreIndex)",
    call: "kiln_cross_entropy(rows, C, x, target, weight, ignoreIndex, labelSmoothing, loss, rowWeight, lse)",
  },
  crossEntropyBackward: {
    doc: "gx [rows, C] for per-row gradients g (gStride 1) or one shared gradient (gStride 0).",
    args: [
      ["rows", int64],
      ["C", int64],
      ["x", inF32("rows * C")],
      ["target", { kind: "i32", len: "rows" }],
      ["weight", optF32("C")],
      ["ignoreIndex", int32],
      ["labelSmoothing", float],
      ["lse", inF32("rows")],
      ["g", inF32("gStride ? rows : 1")],
      ["gStride", int64],
      ["gx", outF32("rows * C")],
    ],
    checks: [["rows >= 0 && C > 0 && (gStride == 0 || gStride == 1)", CE]],
    validate: "targets_ok(&a, target, rows, C, ignoreIndex)",
    call: "kiln_cross_entropy_backward(rows, C, x, target, weight, ignoreIndex, labelSmoothing, lse, g, gStride, gx)",
  },
  linear: {
    doc: "out [M, N] = x [M, K] * w [N, K]^T + bias [N].",
    args: [
      ["M", int64],
      ["K", int64],
      ["N", int64],
      ["x", inF32("M * K")],
      ["w", inF32("N * K")],
      ["bias", optF32("N")],
      ["out", outF32("M * N")],
    ],
    checks: [["M >= 0 && K >= 0 && N >= 0", LIN]],
    call: "kiln_linear(M, K, N, x, w, bias, out)",
  },
  linearBackward: {
    doc: "gx = g * w, gw = g^T * x, gb = row sums of g; null ones are skipped.",
    args: [
      ["M", int64],
      ["K", int64],
      ["N", int64],
      ["g", inF32("M * N")],
      ["x", inF32("M * K")],
      ["w", inF32("N * K")],
      ["gx", optOutF32("M * K")],
      ["gw", optOutF32("N * K")],
      ["gb", optOutF32("N")],
    ],
    checks: [["M >= 0 && K >= 0 && N >= 0", LIN]],
    call: "kiln_linear_backward(M, K, N, g, x, w, gx, gw, gb)",
  },
  layerNorm: {
    doc: "y = (x - mean) * rstd * w + b over the rows of x [M, N]; writes each row's mean, rstd.",
    args: [
      ["M", int64],
      ["N", int64],
      ["x", inF32("M * N")],
      ["w", optF32("N")],
      ["b", optF32("N")],
      ["eps", double],
      ["mean", outF32("M")],
      ["rstd", outF32("M")],
      ["y", outF32("M * N")],
    ],
    checks: [["M >= 0 && N >= 0", ROWS]],
    call: "kiln_layer_norm(M, N, x, w, b, eps, mean, rstd, y)",
  },
  layerNormBackward: {
    doc: "gx, gw and gb of layerNorm; null ones are skipped.",
    args: [
      ["M", int64],
      ["N", int64],
      ["gy", inF32("M * N")],
      ["x", inF32("M * N")],
      ["w", optF32("N")],
      ["mean", inF32("M")],
      ["rstd", inF32("M")],
      ["gx", optOutF32("M * N")],
      ["gw", optOutF32("N")],
      ["gb", optOutF32("N")],
    ],
    checks: [["M >= 0 && N >= 0", ROWS]],
    call: "kiln_layer_norm_backward(M, N, gy, x, w, mean, rstd, gx, gw, gb)",
  },
  softmax: {
    doc: "softmax (or, logForm, log-softmax) of each row of x [M, N].",
    args: [
      ["M", int64],
      ["N", int64],
      ["x", inF32("M * N")],
      ["logForm", bool],
      ["y", outF32("M * N")],
    ],
    checks: [["M >= 0 && N >= 0", ROWS]],
    call: "kiln_softmax(M, N, x, logForm, y)",
  },
  softmaxBackward: {
    doc: "gx of softmax (or log-softmax) rows from their output y and gradient gy.",
    args: [
      ["M", int64],
      ["N", int64],
      ["y", inF32("M * N")],
      ["gy", inF32("M * N")],
      ["logForm", bool],
      ["gx", outF32("M * N")],
    ],
    checks: [["M >= 0 && N >= 0", ROWS]],
    call: "kiln_softmax_backward(M, N, y, gy, logForm, gx)",
  },
  reluBackward: {
    doc: "gx = g * [y > 0] over n elements.",
    args: [
      ["n", int64],
      ["y", inF32("n")],
      ["g", inF32("n")],
      ["gx", outF32("n")],
    ],
    checks: [["n >= 0", "kiln fused: bad length"]],
    call: "kiln_relu_backward(n, y, g, gx)",
  },
  lstmCell: {
    doc: "One LSTM step: h, c [B, H] from gates xg + hg [B, 4H] and c_prev; saves act, tc.",
    args: [
      ["B", int64],
      ["H", int64],
      ["xg", inF32("B * 4 * H")],
      ["hg", inF32("B * 4 * H")],
      ["cPrev", inF32("B * H")],
      ["h", outF32("B * H")],
      ["c", outF32("B * H")],
      ["act", outF32("B * 4 * H")],
      ["tc", outF32("B * H")],
    ],
    checks: [["B >= 0 && H >= 0", RNN]],
    call: "kiln_lstm_cell(B, H, xg, hg, cPrev, h, c, act, tc)",
  },
  lstmCellBackward: {
    doc: "The LSTM step's gate gradient [B, 4H] and gc_prev [B, H] from gh, gc (null: none).",
    args: [
      ["B", int64],
      ["H", int64],
      ["act", inF32("B * 4 * H")],
      ["tc", inF32("B * H")],
      ["cPrev", inF32("B * H")],
      ["gh", optF32("B * H")],
      ["gc", optF32("B * H")],
      ["ggates", outF32("B * 4 * H")],
      ["gcPrev", outF32("B * H")],
    ],
    checks: [["B >= 0 && H >= 0", RNN]],
    call: "kiln_lstm_cell_backward(B, H, act, tc, cPrev, gh, gc, ggates, gcPrev)",
  },
  gruCell: {
    doc: "One GRU step: h [B, H] from xg, hg [B, 3H] and h_prev; saves act [B, 4H].",
    args: [
      ["B", int64],
      ["H", int64],
      ["xg", inF32("B * 3 * H")],
      ["hg", inF32("B * 3 * H")],
      ["hPrev", inF32("B * H")],
      ["h", outF32("B * H")],
      ["act", outF32("B * 4 * H")],
    ],
    checks: [["B >= 0 && H >= 0", RNN]],
    call: "kiln_gru_cell(B, H, xg, hg, hPrev, h, act)",
  },
  gruCellBackward: {
    doc: "The GRU step's gradients gxg, ghg [B, 3H] and gh_prev [B, H] from gh.",
    args: [
      ["B", int64],
      ["H", int64],
      ["act", inF32("B * 4 * H")],
      ["hPrev", inF32("B * H")],
      ["gh", inF32("B * H")],
      ["gxg", outF32("B * 3 * H")],
      ["ghg", outF32("B * 3 * H")],
      ["ghPrev", outF32("B * H")],
    ],
    checks: [["B >= 0 && H >= 0", RNN]],
    call: "kiln_gru_cell_backward(B, H, act, hPrev, gh, gxg, ghg, ghPrev)",
  },
  sgdMany: {
    doc: "One SGD step over (param, grad, buf | null, first 0/1) quadruples of `list`.",
    args: [
      ["list", { kind: "list" }],
      ["lr", float],
      ["momentum", float],
      ["dampening1", float],
      ["weightDecay", float],
      ["nesterov", bool],
      ["maximize", bool],
    ],
    call: "sgd_many(&a, list, lr, momentum, dampening1, weightDecay, nesterov, maximize)",
  },
  adam: {
    doc: "One Adam/AdamW step in place; the bias corrections already folded into the scalars.",
    args: [
      ["param", { kind: "f32", lengthAs: "n", out: true }],
      ["grad", inF32("n")],
      ["expAvg", outF32("n")],
      ["expAvgSq", outF32("n")],
      ["maxExpAvgSq", optOutF32("n")],
      ["beta1", float],
      ["beta2", float],
      ["oneMinusBeta1", float],
      ["oneMinusBeta2", float],
      ["eps", float],
      ["weightDecay", float],
      ["decayMul", float],
      ["biasCorrection2Sqrt", float],
      ["negStepSize", float],
      ["decoupled", bool],
      ["maximize", bool],
    ],
    call:
      "kiln_adam(n, param, grad, expAvg, expAvgSq, maxExpAvgSq, 0, beta1, beta2, oneMinusBeta1, " +
      "oneMinusBeta2, eps, weightDecay, decayMul, biasCorrection2Sqrt, negStepSize, decoupled, maximize)",
  },
};

/**
 * A primitive kernel's argument (native/addon.c): `view` is a strided View whose data travels
 * positionally and whose offset and strides go to meta; `offset` likewise with its offset only;
 * `array` a typed array of any kernel dtype (`index`: an Int32Array); `meta` a number written
 * to meta instead of passed; int32 and bool are read by N-API directly.
 */
export interface PrimitiveArgSpec {
  kind: "view" | "offset" | "array" | "index" | "meta" | "int32" | "bool";
}

export interface PrimitiveSpec {
  doc: string;
  /** [name, spec] in the addon's positional order (meta ones excepted). */
  args: readonly (readonly [string, PrimitiveArgSpec])[];
  /** The view whose shape heads meta ([nd, shape...], then the views in `args` order). */
  shapeOf?: string;
}

const view: PrimitiveArgSpec = { kind: "view" };
const anyArray: PrimitiveArgSpec = { kind: "array" };
const op: PrimitiveArgSpec = { kind: "int32" };
const metaNum: PrimitiveArgSpec = { kind: "meta" };

/** The primitive kernels' ABI; meta = [nd, shape of `shapeOf`, each view's offset, strides...]. */
export const PRIMITIVES: Readonly<Record<string, PrimitiveSpec>> = {
  unary: {
    doc: "out = op(x) elementwise over out's shape.",
    args: [
      ["op", op],
      ["out", view],
      ["x", view],
    ],
    shapeOf: "out",
  },
  binary: {
    doc: "out = op(a, b) elementwise over out's shape.",
    args: [
      ["op", op],
      ["out", view],
      ["a", view],
      ["b", view],
    ],
    shapeOf: "out",
  },
  where: {
    doc: "out = cond ? a : b elementwise over out's shape.",
    args: [
      ["out", view],
      ["cond", view],
      ["a", view],
      ["b", view],
    ],
    shapeOf: "out",
  },
  reduce: {
    doc: "Reduces the trailing dims of x after the first `kept` into contiguous out.",
    args: [
      ["op", op],
      ["kept", { kind: "int32" }],
      ["x", view],
      ["out", anyArray],
    ],
    shapeOf: "x",
  },
  cumsum: {
    doc: "out = cumulative sum of x along its last dim, contiguous.",
    args: [
      ["x", view],
      ["out", anyArray],
    ],
    shapeOf: "x",
  },
  matmul: {
    doc: "out [B, M, N] = a [B, M, K] @ b [B, K, N], a and b strided, out contiguous.",
    args: [
      ["B", metaNum],
      ["M", metaNum],
      ["K", metaNum],
      ["N", metaNum],
      ["aOffset", metaNum],
      ["aStrideB", metaNum],
      ["aStrideM", metaNum],
      ["aStrideK", metaNum],
      ["bOffset", metaNum],
      ["bStrideB", metaNum],
      ["bStrideK", metaNum],
      ["bStrideN", metaNum],
      ["a", anyArray],
      ["b", anyArray],
      ["out", anyArray],
    ],
  },
  take: {
    doc: "out[i] = x.flat[index[i]] (flat: row-major order of x).",
    args: [
      ["x", view],
      ["index", { kind: "index" }],
      ["out", anyArray],
    ],
    shapeOf: "x",
  },
  put: {
    doc: "target.flat[index[i]] = (or +=, accumulate) values[values.offset + i].",
    args: [
      ["target", view],
      ["index", { kind: "index" }],
      ["values", { kind: "offset" }],
      ["accumulate", { kind: "bool" }],
    ],
    shapeOf: "target",
  },
};
