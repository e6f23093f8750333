// Issue 13 item 8: nn.functional checks shapes and hyper-parameters once, before any backend is
// chosen, so every backend throws the same typed error with PyTorch's wording (native used to
// accept an oversized linear bias and throw raw RangeErrors from its fused kernels). Item 5:
// crossEntropy and nllLoss refuse non-floating input as PyTorch does. Messages checked against
// PyTorch 1.13 (RuntimeError there; ShapeError/ValueError here).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getBackend, setBackend } from "../../src/backend/registry.ts";
import { DTypeError, nn, ones, ShapeError, tensor, ValueError } from "../../src/index.ts";

const F = nn.functional;
const X = () => ones(1, 4, 5, 5);
const W = () => ones(6, 4, 3, 3);

type Case = [name: string, call: () => unknown, cls: typeof ShapeError, message: RegExp];

const cases: Case[] = [
  [
    "linear oversized bias",
    () => F.linear(ones(2, 4), ones(3, 4), tensor([10, 20, 30, 40, 50])),
    ShapeError,
    /^linear: The expanded size of the tensor \(3\) must match the existing size \(5\) at non-singleton dimension 1\. {2}Target sizes: \[2, 3\]\. {2}Tensor sizes: \[5\]$/,
  ],
  [
    "linear undersized bias",
    () => F.linear(ones(2, 4), ones(3, 4), tensor([1, 2])),
    ShapeError,
    /existing size \(2\) at non-singleton dimension 1/,
  ],
  [
    "linear features",
    () => F.linear(ones(2, 5), ones(3, 4)),
    ShapeError,
    /mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)/,
  ],
  [
    "conv2d oversized bias",
    () => F.conv2d(X(), W(), ones(7)),
    ShapeError,
    /^conv2d: Given weight of size \[6, 4, 3, 3\], expected bias to be 1-dimensional with 6 elements, but got bias of size \[7\] instead$/,
  ],
  [
    "conv2d undersized bias",
    () => F.conv2d(X(), W(), ones(5)),
    ShapeError,
    /expected bias to be 1-dimensional with 6 elements, but got bias of size \[5\]/,
  ],
  [
    "conv2d padding -1",
    () => F.conv2d(X(), W(), null, 1, -1),
    ValueError,
    /^conv2d: negative padding is not supported$/,
  ],
  [
    "conv2d stride 0",
    () => F.conv2d(X(), W(), null, 0),
    ValueError,
    /^conv2d: non-positive stride is not supported$/,
  ],
  [
    "conv2d dilation 0",
    () => F.conv2d(X(), W(), null, 1, 0, 0),
    ValueError,
    /^conv2d: dilation should be greater than zero, but got \[0, 0\]$/,
  ],
  [
    "conv2d groups 0",
    () => F.conv2d(X(), W(), null, 1, 0, 1, 0),
    ValueError,
    /^conv2d: non-positive groups is not supported$/,
  ],
  [
    "conv2d groups not dividing out channels",
    () => F.conv2d(ones(1, 6, 5, 5), ones(4, 2, 3, 3), null, 1, 0, 1, 3),
    ValueError,
    /^conv2d: Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size \[\[4, 2, 3, 3\]\] instead$/,
  ],
  [
    "conv2d zero out channels",
    () => F.conv2d(X(), ones(0, 4, 3, 3)),
    ValueError,
    /expected weight to be at least 1 at dimension 0, but got weight of size \[0, 4, 3, 3\]/,
  ],
  [
    "conv2d kernel 0",
    () => F.conv2d(X(), ones(6, 4, 0, 3)),
    ValueError,
    /kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 3/,
  ],
  [
    "conv2d input channels",
    () => F.conv2d(X(), ones(6, 3, 3, 3)),
    ShapeError,
    /Given groups=1, weight of size \[6, 3, 3, 3\], expected input\[1, 4, 5, 5\] to have 3 channels, but got 4 channels instead/,
  ],
  [
    "conv2d kernel larger than input",
    () => F.conv2d(ones(1, 4, 2, 2), W()),
    ShapeError,
    /Calculated padded input size per channel: \(2 x 2\)\. Kernel size: \(3 x 3\)\. Kernel size can't be greater than actual input size/,
  ],
  [
    "conv1d padding -1",
    () => F.conv1d(ones(1, 4, 5), ones(6, 4, 3), null, 1, -1),
    ValueError,
    /^conv1d: negative padding is not supported$/,
  ],
  [
    "conv1d oversized bias",
    () => F.conv1d(ones(1, 4, 5), ones(6, 4, 3), ones(7)),
    ShapeError,
    /Given weight of size \[6, 4, 3\], expected bias to be 1-dimensional with 6 elements/,
  ],
  [
    "Conv2d layer input channels",
    () => new nn.Conv2d(4, 6, 3).forward(ones(1, 3, 5, 5)),
    ShapeError,
    /expected input\[1, 3, 5, 5\] to have 4 channels, but got 3 channels instead/,
  ],
  [
    "maxPool2d stride 0",
    () => F.maxPool2d(X(), 2, 0),
    ValueError,
    /^maxPool2d: stride should not be zero$/,
  ],
  [
    "maxPool2d kernel 0",
    () => F.maxPool2d(X(), 0, 1),
    ValueError,
    /kernel size should be greater than zero, but got kH: 0 kW: 0/,
  ],
  [
    "maxPool2d negative stride",
    () => F.maxPool2d(X(), 2, -1),
    ValueError,
    /stride should be greater than zero, but got dH: -1 dW: -1/,
  ],
  [
    "maxPool2d padding -1",
    () => F.maxPool2d(X(), 2, 2, -1),
    ValueError,
    /pad must be non-negative, but got pad: -1/,
  ],
  [
    "maxPool2d padding over half the kernel",
    () => F.maxPool2d(X(), 3, 1, 2, 2),
    ValueError,
    /pad should be at most half of kernel size, but got pad=2 and kernel_size=3/,
  ],
  [
    "maxPool2d dilation 0",
    () => F.maxPool2d(X(), 2, 2, 0, 0),
    ValueError,
    /dilation should be greater than zero, but got dilationH: 0 dilationW: 0/,
  ],
  [
    "maxPool2d output too small",
    () => F.maxPool2d(ones(1, 1, 1, 1), 2),
    ValueError,
    /Given input size: \(1x1x1\)\. Calculated output size: \(1x0x0\)\. Output size is too small/,
  ],
  [
    "maxPool2d 2-D input",
    () => F.maxPool2d(ones(3, 3), 2),
    ShapeError,
    /non-empty 3D or 4D \(batch mode\) tensor expected for input/,
  ],
  [
    "MaxPool2d layer stride 0",
    () => new nn.MaxPool2d(2, 0).forward(X()),
    ValueError,
    /stride should not be zero/,
  ],
  [
    "maxPool1d stride 0",
    () => F.maxPool1d(ones(1, 2, 5), 2, 0),
    ValueError,
    /max_pool1d\(\) stride must be greater than zero, but got 0/,
  ],
  [
    "avgPool2d padding -1",
    () => F.avgPool2d(X(), 2, 2, -1),
    ValueError,
    /pad must be non-negative, but got pad: -1/,
  ],
  [
    "avgPool2d divisor 0",
    () => F.avgPool2d(X(), 2, null, 0, false, true, 0),
    ValueError,
    /divisor must be not zero/,
  ],
  [
    "adaptiveAvgPool2d negative size",
    () => F.adaptiveAvgPool2d(X(), -1),
    ValueError,
    /elements of output_size must be greater than or equal to 0 but received \{-1, -1\}/,
  ],
  [
    "crossEntropy int32 logits",
    () => F.crossEntropy(ones(2, 3).int(), tensor([0, 1])),
    DTypeError,
    /^crossEntropy: expected input of a floating dtype .* but got int32/,
  ],
  [
    "CrossEntropyLoss int32 logits",
    () => new nn.CrossEntropyLoss().forward(ones(2, 3).int(), tensor([0, 1])),
    DTypeError,
    /crossEntropy: .*int32/,
  ],
  [
    "nllLoss bool input",
    () => F.nllLoss(ones(2, 3).bool(), tensor([0, 1])),
    DTypeError,
    /^nllLoss: expected input of a floating dtype .* but got bool/,
  ],
];

/** The backends to compare: reference always, native where its addon loads (setBackend loads it). */
function backends(): string[] {
  return ["reference", "native", "wasm"];
}

function outcome(call: () => unknown): { cls: string; message: string } {
  try {
    call();
  } catch (e) {
    return { cls: (e as Error).constructor.name, message: (e as Error).message };
  }
  return { cls: "none", message: "" };
}

describe("nn.functional validates before dispatch, identically on every backend", () => {
  const before = getBackend();
  for (const [name, call, cls, message] of cases) {
    it(name, () => {
      const seen: Record<string, { cls: string; message: string }> = {};
      try {
        for (const b of backends()) {
          try {
            setBackend(b as "reference");
          } catch {
            continue; // native addon unavailable here: reference alone is checked
          }
          seen[b] = outcome(call);
          assert.equal(seen[b].cls, cls.name, `${b}: ${seen[b].message}`);
          assert.match(seen[b].message, message, b);
        }
      } finally {
        setBackend(before as "reference");
      }
      assert.ok(seen.reference !== undefined);
      const msgs = new Set(Object.values(seen).map((o) => `${o.cls}: ${o.message}`));
      assert.equal(msgs.size, 1, `the backends differ: ${[...msgs].join(" | ")}`);
    });
  }

  it("valid edge cases agree across backends (zero channels, broadcast bias, zero rows)", () => {
    const results: Record<string, unknown[]> = {};
    try {
      for (const b of backends()) {
        try {
          setBackend(b as "reference");
        } catch {
          continue;
        }
        results[b] = [
          // PyTorch: zero input channels give the bias alone, shape [1, 6, 3, 3]
          F.conv2d(ones(1, 0, 5, 5), ones(6, 0, 3, 3), tensor([1, 2, 3, 4, 5, 6])).toArray(),
          // a [1] or [2, 3] bias broadcasts, as PyTorch's expand: 4·1 + 1 = 5
          F.linear(ones(2, 4), ones(3, 4), tensor([1])).toArray(),
          F.linear(ones(2, 4), ones(3, 4), ones(2, 3)).toArray(),
          F.linear(ones(0, 4), ones(3, 4), ones(3)).shape,
        ];
      }
    } finally {
      setBackend(before as "reference");
    }
    const [first, ...rest] = Object.values(results);
    assert.ok(first !== undefined);
    const c = first[0] as number[][][][];
    assert.deepEqual(c[0]![5]![2], [6, 6, 6]);
    assert.deepEqual(first[1], [
      [5, 5, 5],
      [5, 5, 5],
    ]);
    assert.deepEqual(first[3], [0, 3]);
    for (const r of rest) assert.deepEqual(r, first);
  });
});
