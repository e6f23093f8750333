// The Tensor as the rest of Kiln imports it: the class (tensor-class.ts) with its methods bound
// to the ops. src/ops imports tensor-class.ts directly, since the binding imports src/ops.

import "../ops/tensor-methods.ts";

export * from "./tensor-class.ts";
