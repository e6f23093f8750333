// io.exportOnnx of nn.functional.gridSample (through the functional tracer): a spatial transformer
// whose affine map comes from the input exports to GridSample, and onnxruntime-node's GridSample
// (the independent reference) agrees with Kiln's forward within 1e-4 for each mode and padding
// mode. Opsets before 16 and 5-D input are refused with a ValueError naming what is missing.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, nn, noGrad, randn, type Tensor, tensor, ValueError } from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

type Mode = "bilinear" | "nearest" | "bicubic";
type Padding = "zeros" | "border" | "reflection";

/** The identity affine map, flattened: theta starts near it. */
const EYE = tensor([1, 0, 0, 0, 1, 0]);

/** A spatial transformer (Jaderberg et al.): theta = I + 0.3 Linear(flatten(x)), then sampling. */
class SpatialTransformer extends nn.Module<Tensor> {
  loc: nn.Linear;
  constructor(
    readonly size: number[],
    readonly mode: Mode,
    readonly paddingMode: Padding,
    readonly alignCorners: boolean,
  ) {
    super();
    this.loc = new nn.Linear(
      size.reduce((a, b) => a * b, 1),
      6,
    );
  }
  override forward(x: Tensor): Tensor {
    const theta = this.loc.call(x.flatten(1)).mul(0.3).add(EYE).view(-1, 2, 3);
    const grid = nn.functional.affineGrid(theta, [x.shape[0]!, ...this.size], this.alignCorners);
    return nn.functional.gridSample(x, grid, this.mode, this.paddingMode, this.alignCorners);
  }
}

/** A grid that is a parameter (constant to the trace) sampling the input. */
class FixedGrid extends nn.Module<Tensor> {
  grid = new nn.Parameter(randn(2, 3, 4, 2).mul(0.8));
  override forward(x: Tensor): Tensor {
    return nn.functional.gridSample(x, this.grid, { mode: "bilinear", paddingMode: "border" });
  }
}

describe("exportOnnx: nn.functional.gridSample", () => {
  const cases: [Mode, Padding, boolean][] = [
    ["bilinear", "zeros", false],
    ["bilinear", "reflection", true],
    ["nearest", "border", false],
    ["bicubic", "zeros", true],
    ["bicubic", "border", false],
  ];
  for (const [mode, padding, align] of cases) {
    it(`${mode}, ${padding}, alignCorners ${align}: GridSample agrees with Kiln`, async () => {
      manualSeed(3);
      const model = new SpatialTransformer([3, 5, 6], mode, padding, align);
      const x = randn(2, 3, 5, 6);
      const bytes = exportOnnxBytes(model, x);
      const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
      assert.ok(ops.includes("GridSample"), ops.join(", "));
      model.eval();
      assertClose(
        (await runOrt(bytes, x)).output,
        noGrad(() => model.call(x)),
        1e-4,
      );
    });
  }

  it("a constant grid (a parameter) samples the traced input", async () => {
    manualSeed(4);
    const model = new FixedGrid();
    const x = randn(2, 2, 5, 5);
    const bytes = exportOnnxBytes(model, x, { opsetVersion: 16 });
    assertClose(
      (await runOrt(bytes, x)).output,
      noGrad(() => model.call(x)),
      1e-4,
    );
  });

  it("refuses opsets before 16 and 5-D input", () => {
    const model = new SpatialTransformer([3, 5, 6], "bilinear", "zeros", false);
    assert.throws(
      () => exportOnnxBytes(model, randn(1, 3, 5, 6), { opsetVersion: 15 }),
      (e: unknown) =>
        e instanceof ValueError && /gridSample needs opset 16 .*opsetVersion 15/.test(e.message),
    );
    class Grid3d extends nn.Module<Tensor> {
      grid = new nn.Parameter(randn(1, 2, 2, 2, 3));
      override forward(x: Tensor): Tensor {
        return nn.functional.gridSample(x, this.grid);
      }
    }
    assert.throws(
      () => exportOnnxBytes(new Grid3d(), randn(1, 1, 3, 3, 3)),
      (e: unknown) => e instanceof ValueError && /4-D input only .*got 5-D/.test(e.message),
    );
  });
});
