// Binds the op modules that Tensor's methods forward to. The Tensor class (tensor-class.ts)
// cannot import them, since every op builds tensors with it; src/tensor/tensor.ts loads this
// module before handing the class out, so no import path sees an unbound Tensor.

import { bindTensorOps } from "../tensor/tensor-class.ts";
import * as cu from "./cumulative.ts";
import { recycleBuffer } from "./dispatch.ts";
import * as el from "./elementwise.ts";
import * as ix from "./index-ops-more.ts";
import * as idx from "./indexing.ts";
import * as iv from "./inplace-views.ts";
import { matmul } from "./matmul.ts";
import * as mv from "./movement.ts";
import * as nt from "./new-tensors.ts";
import * as no from "./norms.ts";
import * as pd from "./predicates.ts";
import * as pr from "./products.ts";
import * as rf from "./random-fill.ts";
import * as rs from "./random-sampling.ts";
import * as red from "./reduce.ts";
import * as rm from "./reduce-more.ts";
import * as se from "./search.ts";
import * as sm from "./shape-more.ts";
import * as so from "./sorting.ts";
import * as tri from "./triangular.ts";

bindTensorOps({
  cu,
  el,
  ix,
  idx,
  iv,
  matmul,
  mv,
  no,
  nt,
  pd,
  pr,
  recycleBuffer,
  red,
  rf,
  rm,
  rs,
  se,
  sm,
  so,
  tri,
});
