// nn.utils.rnn: PackedSequence and packing/padding of variable-length batches, as
// torch.nn.utils.rnn. Every data movement is one differentiable gather (indexSelect over the rows),
// so gradients flow back into padded and packed inputs. Depends on src/ops and below, not on layers.

import {
  arrayOf,
  bool,
  checkArity,
  custom,
  either,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { ShapeError, ValueError } from "../core/errors.ts";
import { formatShape } from "../core/shape.ts";
import { fromTypedArray } from "../ops/creation.ts";
import { full } from "../ops/dispatch.ts";
import { cat } from "../ops/movement.ts";
import { Tensor } from "../tensor/tensor.ts";

const tensorArg = instanceOf(Tensor, "a Tensor");
const lengthsArg = either(tensorArg, arrayOf(num));
const seqsArg = custom(
  "an array of Tensors",
  (v): v is readonly Tensor[] => Array.isArray(v) && v.every((t) => t instanceof Tensor),
);
const indexT = (a: readonly number[]) => fromTypedArray(Int32Array.from(a));
const ints = (t: Tensor) => Array.from(t.dataSync(), (v) => Math.trunc(Number(v)));

/**
 * A batch of variable-length sequences packed time-major, as torch.nn.utils.rnn.PackedSequence:
 * `data [N, *]` holds step 0 of every sequence, then step 1 of those still running, and so on;
 * `batchSizes[t]` is the number of sequences at step t. `sortedIndices` maps the packed batch
 * order (by decreasing length) to the original one and `unsortedIndices` is its inverse, or both
 * are null when the batch was already sorted. Destructures like PyTorch's namedtuple:
 * `const [data, batchSizes, sortedIndices, unsortedIndices] = packed`.
 *
 * PyTorch parity: index tensors are int32 (Kiln's index dtype) where PyTorch's are int64.
 */
export class PackedSequence {
  /** The packed rows `[N, *]`. */
  readonly data: Tensor;
  /** Sequences per time step, non-increasing, int32 `[T]`. */
  readonly batchSizes: Tensor;
  /** Packed order → original batch index, or null. */
  readonly sortedIndices: Tensor | null;
  /** Original batch index → packed order (the inverse permutation), or null. */
  readonly unsortedIndices: Tensor | null;

  /**
   * Wraps packed data, as PackedSequence(data, batch_sizes, sorted_indices=None,
   * unsorted_indices=None); unsortedIndices defaults to the inverse of sortedIndices. Use
   * packPaddedSequence or packSequence to build one.
   */
  constructor(
    data: Tensor,
    batchSizes: Tensor,
    sortedIndices: Tensor | null = null,
    unsortedIndices: Tensor | null = null,
  ) {
    checkArity("PackedSequence", arguments, 4);
    parseArgs(PACKED, [data, batchSizes, sortedIndices, unsortedIndices]);
    if (batchSizes.ndim !== 1) {
      throw new ShapeError(
        `PackedSequence: batchSizes must be 1-D, got shape ${formatShape(batchSizes.shape)}`,
      );
    }
    const bs = ints(batchSizes);
    const total = bs.reduce((a, b) => a + b, 0);
    if (data.ndim < 1 || data.shape[0] !== total) {
      throw new ShapeError(
        `PackedSequence: data must have sum(batchSizes) = ${total} rows, got shape ${formatShape(data.shape)}`,
      );
    }
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    if (unsortedIndices === null && sortedIndices !== null) {
      const inv = new Array<number>(sortedIndices.numel());
      ints(sortedIndices).forEach((s, k) => {
        inv[s] = k;
      });
      this.unsortedIndices = indexT(inv);
    } else this.unsortedIndices = unsortedIndices;
  }

  /** The batch sizes as numbers. */
  batchSizeList(): number[] {
    return ints(this.batchSizes);
  }

  /** The same sequence with data converted to `dtype`, as PackedSequence.to(dtype). */
  to(dtype: DType): PackedSequence {
    const d = this.data.to(dtype);
    return d === this.data
      ? this
      : new PackedSequence(d, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }

  /** The four fields in PyTorch's namedtuple order, so `const [data, batchSizes] = packed` works. */
  *[Symbol.iterator](): Generator<Tensor | null> {
    yield this.data;
    yield this.batchSizes;
    yield this.sortedIndices;
    yield this.unsortedIndices;
  }

  /** As PyTorch prints a PackedSequence. */
  toString(): string {
    return `PackedSequence(data=${this.data}, batch_sizes=${this.batchSizes}, sorted_indices=${this.sortedIndices ?? "None"}, unsorted_indices=${this.unsortedIndices ?? "None"})`;
  }
}

const PACKED = signature("PackedSequence", {
  data: tensorArg,
  batchSizes: tensorArg,
  sortedIndices: opt(nullable(tensorArg), null),
  unsortedIndices: opt(nullable(tensorArg), null),
});
const PACK_PADDED = signature("packPaddedSequence", {
  input: tensorArg,
  lengths: lengthsArg,
  batchFirst: opt(bool, false),
  enforceSorted: opt(bool, true),
});
const PAD_PACKED = signature("padPackedSequence", {
  sequence: instanceOf(PackedSequence, "a PackedSequence"),
  batchFirst: opt(bool, false),
  paddingValue: opt(num, 0),
  totalLength: opt(nullable(int), null),
});
const PAD_SEQUENCE = signature("padSequence", {
  sequences: seqsArg,
  batchFirst: opt(bool, false),
  paddingValue: opt(num, 0),
});
const PACK_SEQUENCE = signature("packSequence", {
  sequences: seqsArg,
  enforceSorted: opt(bool, true),
});
const UNPAD_SEQUENCE = signature("unpadSequence", {
  paddedSequences: tensorArg,
  lengths: lengthsArg,
  batchFirst: opt(bool, false),
});

/** Batch order by decreasing length (stable), or null when `enforceSorted` and already sorted. */
function sortOrder(op: string, lengths: number[], enforceSorted: boolean): number[] | null {
  if (enforceSorted) {
    for (let k = 1; k < lengths.length; k++) {
      if (lengths[k]! > lengths[k - 1]!) {
        throw new ValueError(
          `${op}: \`lengths\` array must be sorted in decreasing order when \`enforceSorted\` is true (got [${lengths.join(", ")}]). You can pass \`enforceSorted: false\` to packPaddedSequence and/or packSequence to sidestep this requirement if you do not need ONNX exportability.`,
        );
      }
    }
    return null;
  }
  // NOTE: ties keep their batch order here; torch.sort (unstable) may order them otherwise.
  return lengths.map((_, k) => k).sort((a, b) => lengths[b]! - lengths[a]!);
}

/** Packs sorted lengths: the batch size of each step and the (step, packed column) → source row map. */
function pack(
  op: string,
  flat: Tensor,
  lengths: number[],
  order: number[] | null,
  row: (b: number, t: number) => number,
): PackedSequence {
  const sorted = order === null ? lengths : order.map((k) => lengths[k]!);
  if (sorted.length === 0) throw new ValueError(`${op}: expected a non-empty batch`);
  if (!(sorted[sorted.length - 1]! > 0)) {
    throw new ValueError(
      `${op}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 (lengths [${lengths.join(", ")}])`,
    );
  }
  const batchSizes: number[] = [];
  const rows: number[] = [];
  for (let t = 0; t < sorted[0]!; t++) {
    let bs = 0;
    while (bs < sorted.length && sorted[bs]! > t) {
      rows.push(row(order === null ? bs : order[bs]!, t));
      bs++;
    }
    batchSizes.push(bs);
  }
  return new PackedSequence(
    flat.indexSelect(0, indexT(rows)),
    indexT(batchSizes),
    order === null ? null : indexT(order),
    null,
  );
}

function lengthList(op: string, lengths: Tensor | readonly number[]): number[] {
  if (lengths instanceof Tensor && lengths.ndim !== 1) {
    throw new ShapeError(
      `${op}: lengths must be a 1-D tensor, got shape ${formatShape(lengths.shape)}`,
    );
  }
  return lengths instanceof Tensor ? ints(lengths) : lengths.map((v) => Math.trunc(v));
}

/**
 * Packs a padded batch `[T, B, *]` (`[B, T, *]` with batchFirst) of sequences with the given
 * lengths, as torch.nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first=False,
 * enforce_sorted=True). With enforceSorted false the batch is sorted by decreasing length and the
 * permutation kept in the result. Differentiable in `input`.
 *
 * PyTorch parity: a length above T throws a ValueError (PyTorch reads past the input).
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: Tensor | readonly number[],
  ...rest: WithOptions<
    [batchFirst: boolean, enforceSorted: boolean],
    { batchFirst?: boolean; enforceSorted?: boolean }
  >
): PackedSequence {
  const op = "packPaddedSequence";
  const a = parseArgs(PACK_PADDED, [input, lengths, ...rest]);
  if (input.ndim < 2) {
    throw new ShapeError(
      `${op}: input must have at least 2 dims (time and batch), got shape ${formatShape(input.shape)}`,
    );
  }
  const lens = lengthList(op, a.lengths);
  const T = input.shape[a.batchFirst ? 1 : 0]!;
  const B = input.shape[a.batchFirst ? 0 : 1]!;
  if (lens.length !== B) {
    throw new ValueError(
      `${op}: Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`,
    );
  }
  const longest = Math.max(...lens);
  if (longest > T) {
    throw new ValueError(
      `${op}: a length (${longest}) exceeds the input's ${T} time steps (input ${formatShape(input.shape)})`,
    );
  }
  const order = sortOrder(op, lens, a.enforceSorted);
  const flat = input.reshape([T * B, ...input.shape.slice(2)]);
  return pack(op, flat, lens, order, a.batchFirst ? (b, t) => b * T + t : (b, t) => t * B + b);
}

/**
 * Packs a list of sequences `[L_k, *]`, as torch.nn.utils.rnn.pack_sequence(sequences,
 * enforce_sorted=True); equal to packPaddedSequence(padSequence(sequences), lengths).
 */
export function packSequence(
  sequences: readonly Tensor[],
  ...rest: WithOptions<[enforceSorted: boolean], { enforceSorted?: boolean }>
): PackedSequence {
  const op = "packSequence";
  const a = parseArgs(PACK_SEQUENCE, [sequences, ...rest]);
  const { offsets, flat } = concat(op, a.sequences);
  const lens = a.sequences.map((s) => s.shape[0]!);
  return pack(op, flat, lens, sortOrder(op, lens, a.enforceSorted), (b, t) => offsets[b]! + t);
}

/** The sequences concatenated along dim 0, and where each starts; trailing dims must agree. */
function concat(op: string, seqs: readonly Tensor[]): { offsets: number[]; flat: Tensor } {
  if (seqs.length === 0) throw new ValueError(`${op}: expected a non-empty list of sequences`);
  const trail = seqs[0]!.shape.slice(1);
  const offsets: number[] = [];
  let n = 0;
  seqs.forEach((s, k) => {
    if (
      s.ndim < 1 ||
      s.ndim !== trail.length + 1 ||
      s.shape.slice(1).some((v, i) => v !== trail[i])
    ) {
      throw new ShapeError(
        `${op}: every sequence must have shape [L, ${trail.join(", ")}] like sequence 0, but sequence ${k} has shape ${formatShape(s.shape)}`,
      );
    }
    offsets.push(n);
    n += s.shape[0]!;
  });
  return { offsets, flat: cat([...seqs]) };
}

/**
 * Pads a list of sequences `[L_k, *]` into `[maxL, B, *]` (`[B, maxL, *]` with batchFirst), as
 * torch.nn.utils.rnn.pad_sequence(sequences, batch_first=False, padding_value=0.0).
 */
export function padSequence(
  sequences: readonly Tensor[],
  ...rest: WithOptions<
    [batchFirst: boolean, paddingValue: number],
    { batchFirst?: boolean; paddingValue?: number }
  >
): Tensor {
  const op = "padSequence";
  const a = parseArgs(PAD_SEQUENCE, [sequences, ...rest]);
  const { offsets, flat } = concat(op, a.sequences);
  const lens = a.sequences.map((s) => s.shape[0]!);
  const T = Math.max(...lens);
  return gather(flat, lens.length, T, a.batchFirst, a.paddingValue, (b, t) =>
    t < lens[b]! ? offsets[b]! + t : -1,
  );
}

/**
 * The `[T, B, *]` (or `[B, T, *]`) tensor whose (t, b) row is row `src(b, t)` of `flat`, or
 * `paddingValue` where src is −1: one indexSelect over `flat` with one padding row appended.
 */
function gather(
  flat: Tensor,
  B: number,
  T: number,
  batchFirst: boolean,
  paddingValue: number,
  src: (b: number, t: number) => number,
): Tensor {
  const trail = flat.shape.slice(1);
  const padRow = flat.shape[0]!;
  const idx = new Int32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = src(b, t);
      idx[batchFirst ? b * T + t : t * B + b] = s < 0 ? padRow : s;
    }
  }
  const withPad = cat([flat, full([1, ...trail], paddingValue, flat.dtype)]);
  return withPad
    .indexSelect(0, fromTypedArray(idx))
    .reshape(batchFirst ? [B, T, ...trail] : [T, B, ...trail]);
}

/**
 * Unpacks into a padded batch, as torch.nn.utils.rnn.pad_packed_sequence(sequence,
 * batch_first=False, padding_value=0.0, total_length=None): returns `[padded, lengths]`,
 * padded `[T, B, *]` (`[B, T, *]` with batchFirst) in the original batch order, T = totalLength
 * or the longest length, lengths int32 `[B]` (PyTorch: int64).
 */
export function padPackedSequence(
  sequence: PackedSequence,
  ...rest: WithOptions<
    [batchFirst: boolean, paddingValue: number, totalLength: number | null],
    { batchFirst?: boolean; paddingValue?: number; totalLength?: number | null }
  >
): [Tensor, Tensor] {
  const op = "padPackedSequence";
  const a = parseArgs(PAD_PACKED, [sequence, ...rest]);
  const bs = sequence.batchSizeList();
  const maxLen = bs.length;
  if (a.totalLength !== null && a.totalLength < maxLen) {
    throw new ValueError(
      `${op}: Expected total_length to be at least the length of the longest sequence in input, but got total_length=${a.totalLength} and max sequence length being ${maxLen}`,
    );
  }
  const T = a.totalLength ?? maxLen;
  const B = bs[0] ?? 0;
  const offsets: number[] = [];
  let n = 0;
  for (const b of bs) {
    offsets.push(n);
    n += b;
  }
  const sortedLens = new Array<number>(B).fill(0);
  for (const b of bs) for (let j = 0; j < b; j++) sortedLens[j]!++;
  const unsorted = sequence.unsortedIndices === null ? null : ints(sequence.unsortedIndices);
  const col = (k: number) => (unsorted === null ? k : unsorted[k]!);
  const padded = gather(sequence.data, B, T, a.batchFirst, a.paddingValue, (k, t) => {
    const j = col(k);
    return t < maxLen && j < bs[t]! ? offsets[t]! + j : -1;
  });
  const lengths = indexT(Array.from({ length: B }, (_, k) => sortedLens[col(k)]!));
  return [padded, lengths];
}

/**
 * Splits a padded batch back into its sequences `[L_k, *]`, as
 * torch.nn.utils.rnn.unpad_sequence(padded_sequences, lengths, batch_first=False).
 */
export function unpadSequence(
  paddedSequences: Tensor,
  lengths: Tensor | readonly number[],
  ...rest: WithOptions<[batchFirst: boolean], { batchFirst?: boolean }>
): Tensor[] {
  const a = parseArgs(UNPAD_SEQUENCE, [paddedSequences, lengths, ...rest]);
  const lens = lengthList("unpadSequence", a.lengths);
  const x = a.batchFirst ? paddedSequences : paddedSequences.transpose(0, 1);
  return lens.map((L, k) => x.select(0, k).narrow(0, 0, L));
}

/**
 * Splits a PackedSequence into its sequences `[L_k, *]` in the original batch order, as
 * torch.nn.utils.rnn.unpack_sequence(packed_sequences).
 */
export function unpackSequence(packedSequences: PackedSequence): Tensor[] {
  checkArity("unpackSequence", arguments, 1);
  if (!(packedSequences instanceof PackedSequence)) {
    throw new ValueError("unpackSequence: argument must be a PackedSequence");
  }
  const [padded, lengths] = padPackedSequence(packedSequences, true);
  return unpadSequence(padded, lengths, true);
}
