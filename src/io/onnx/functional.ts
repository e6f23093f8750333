// ONNX forms of the nn.functional calls that run through `traceable`: each records its node from
// the call's parsed arguments. Depends on the tracer and the graph builder only.

import { ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { attr } from "./graph.ts";
import type { FunctionalHandler, Tracer } from "./trace.ts";

/** The opset that introduced GridSample (4-D input only until opset 20). */
const GRID_SAMPLE_OPSET = 16;

function gridSample(tr: Tracer, args: readonly unknown[], out: unknown): void {
  const [input, grid, o] = args as [
    Tensor,
    Tensor,
    { mode: string; paddingMode: string; alignCorners: boolean },
  ];
  if (tr.opset < GRID_SAMPLE_OPSET)
    throw new ValueError(
      `exportOnnx: nn.functional.gridSample needs opset ${GRID_SAMPLE_OPSET} or later (GridSample), got opsetVersion ${tr.opset}`,
    );
  if (input.ndim !== 4)
    throw new ValueError(
      `exportOnnx: nn.functional.gridSample exports 4-D input only (ONNX GridSample up to opset 17), got ${input.ndim}-D`,
    );
  const y = tr.g.op(
    "GridSample",
    [tr.name(input), tr.cast(tr.name(grid), grid.dtype, input.dtype)],
    [
      attr.int("align_corners", o.alignCorners ? 1 : 0),
      attr.string("mode", o.mode),
      attr.string("padding_mode", o.paddingMode),
    ],
  );
  if (!(out instanceof Tensor)) throw new ValueError("exportOnnx: gridSample returned no Tensor");
  tr.bind(out, y);
}

/** The functional handlers, keyed by the name each passes to `traceable`. */
export const FUNCTIONAL_HANDLERS: Readonly<Record<string, FunctionalHandler>> = { gridSample };
