// The `autograd` namespace, as torch.autograd: grad, Function, the functional API, anomaly
// detection and grad-mode scopes. Re-exports only; depends on src/autograd, src/tensor.

import * as functional from "./functional.ts";

export {
  enableGrad,
  isAnomalyCheckNanEnabled,
  isAnomalyEnabled,
  isGradEnabled,
  noGrad,
  setGradEnabled,
} from "../tensor/graph.ts";
export { Function, FunctionCtx } from "./function.ts";
export {
  type BackwardFnOptions,
  backward,
  type GradOptions,
  type GradOutputs,
  grad,
} from "./grad.ts";
export { detectAnomaly, inferenceMode, isInferenceModeEnabled, setDetectAnomaly } from "./modes.ts";
export { functional };
