// The seam through which an exporter sees nn.functional calls. ES module bindings cannot be
// wrapped the way Tensor methods are, so a functional op that has an export form of its own calls
// `traceable`, which runs it directly unless an exporter installed a tracer for the moment.
// Knows nothing of ONNX or of any op; depends on nothing.

/** Runs one functional call (`compute`) and may record it; returns what `compute` returned. */
export type FunctionalTracer = (
  name: string,
  args: readonly unknown[],
  compute: () => unknown,
) => unknown;

let tracer: FunctionalTracer | null = null;

/**
 * Installs `t` (or removes it with null) and returns the previous tracer. Only an exporter calls
 * this, for the duration of one trace.
 */
export function setFunctionalTracer(t: FunctionalTracer | null): FunctionalTracer | null {
  const prev = tracer;
  tracer = t;
  return prev;
}

/**
 * Runs the functional op `name` over its parsed arguments `args`: directly, or through the
 * installed tracer, which computes the same value and records the call.
 */
export function traceable<T>(name: string, args: readonly unknown[], compute: () => T): T {
  return tracer === null ? compute() : (tracer(name, args, compute) as T);
}
