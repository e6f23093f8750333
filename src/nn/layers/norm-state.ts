// The state PyTorch's _NormBase gives BatchNorm and InstanceNorm layers: the affine γ/β
// parameters and the running_mean / running_var / num_batches_tracked buffers, created and reset
// here once. Depends on nn's module machinery and init only, never on a layer.

import type { DType } from "../../core/dtype.ts";
import { tensor } from "../../ops/creation.ts";
import { full } from "../../ops/dispatch.ts";
import { noGrad } from "../../tensor/graph.ts";
import { ones_, zeros_ } from "../init.ts";
import { getBuffer, type Module } from "../module.ts";
import { Parameter } from "../parameter.ts";

/** A norm layer's affine parameters, as PyTorch's _NormBase `weight` and `bias`. */
export interface NormParameters {
  /** γ `[numFeatures]`, or null when not affine. */
  weight: Parameter | null;
  /** β `[numFeatures]`, or null when not affine. */
  bias: Parameter | null;
}

/**
 * Gives `m` the state of PyTorch's _NormBase for `C` channels: γ (ones) and β (zeros) when
 * `affine`, else null parameters; running_mean (zeros), running_var (ones) and the int32
 * num_batches_tracked (0) when `track`, else null buffers.
 */
export function initNormState(
  m: Module & NormParameters,
  C: number,
  affine: boolean,
  track: boolean,
  dtype: DType,
): void {
  if (affine) {
    m.weight = new Parameter(full([C], 1, dtype));
    m.bias = new Parameter(full([C], 0, dtype));
  } else {
    m.weight = null;
    m.bias = null;
    m.registerParameter("weight", null);
    m.registerParameter("bias", null);
  }
  if (track) {
    m.registerBuffer("running_mean", full([C], 0, dtype));
    m.registerBuffer("running_var", full([C], 1, dtype));
    m.registerBuffer("num_batches_tracked", tensor(0, { dtype: "int64" }));
  } else {
    m.registerBuffer("running_mean", null);
    m.registerBuffer("running_var", null);
    m.registerBuffer("num_batches_tracked", null);
  }
}

/** Running mean to 0, running variance to 1, batch count to 0, as _NormBase.reset_running_stats. */
export function resetRunningStats(m: Module): void {
  noGrad(() => {
    const mean = getBuffer(m, "running_mean");
    const v = getBuffer(m, "running_var");
    if (mean !== null) zeros_(mean);
    if (v !== null) ones_(v);
    getBuffer(m, "num_batches_tracked")?.zero_();
  });
}

/** γ to ones and β to zeros, as the second half of _NormBase.reset_parameters. */
export function resetAffine(m: NormParameters): void {
  if (m.weight !== null) ones_(m.weight);
  if (m.bias !== null) zeros_(m.bias);
}
