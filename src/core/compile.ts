// torch.compile for Kiln: Kiln runs eagerly and has no graph compiler, so compiling returns the
// module or function as it is. PyTorch's compiled model computes the same function (up to
// floating-point rounding), so nothing a program observes changes but the speed. Depends on
// core/args only.

import {
  bool,
  custom,
  either,
  nullable,
  oneOf,
  opt,
  parseArgs,
  signature,
  str,
  unchecked,
} from "./args.ts";

/** Options of `compile`, PyTorch's keyword arguments; they tune a compiler Kiln does not have. */
export interface CompileOptions {
  fullgraph?: boolean;
  dynamic?: boolean | null;
  backend?: string | ((...args: never[]) => unknown);
  mode?: "default" | "reduce-overhead" | "max-autotune" | "max-autotune-no-cudagraphs" | null;
  options?: Record<string, unknown> | null;
  disable?: boolean;
}

const callable = custom(
  "a module or function",
  (v): v is object => typeof v === "function" || (typeof v === "object" && v !== null),
);

const COMPILE = signature(
  "compile",
  { model: opt(nullable(callable), null) },
  {
    fullgraph: opt(bool, false),
    dynamic: opt(nullable(bool), null),
    backend: opt(
      either(
        str,
        custom("a function", (v): v is object => typeof v === "function"),
      ),
      "inductor",
    ),
    mode: opt(
      nullable(oneOf("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")),
      null,
    ),
    options: opt(unchecked, null),
    disable: opt(bool, false),
  },
);

/**
 * `model` itself, as torch.compile(model, *, fullgraph=False, dynamic=None, backend='inductor',
 * mode=None, options=None, disable=False) returns a model computing the same function: Kiln runs
 * eagerly, so there is nothing to compile. Without a model it returns the decorator form,
 * `compile(options)(fn)`. Options are checked as PyTorch's and change nothing.
 */
export function compile<M extends object>(model: M, options?: CompileOptions): M;
export function compile(model?: null, options?: CompileOptions): <M extends object>(m: M) => M;
export function compile(...args: unknown[]): unknown {
  const a = parseArgs(COMPILE, args);
  if (a.model === null) return <M extends object>(m: M): M => compile(m, args[1] as CompileOptions);
  return a.model;
}
