// The reference backend: every primitive kernel in plain TypeScript. It is the living definition
// of what each kernel computes; faster backends are tested against it.

import type { Backend } from "../backend.ts";
import { binary, unary, where } from "./elementwise.ts";
import { put, take } from "./index-ops.ts";
import { matmul } from "./matmul.ts";
import { cumsum, reduce } from "./reduce.ts";

export const referenceBackend: Backend = {
  name: "reference",
  unary,
  binary,
  where,
  reduce,
  cumsum,
  matmul,
  take,
  put,
};
