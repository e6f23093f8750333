// enumerateWithEstimate: the book's batch_iter. Yields [index, item] and logs, as a side effect,
// when the loop is expected to finish, at geometrically spaced indices. On a terminal it can
// draw a live progress bar instead. Depends only on the Node runtime.

import {
  checkArity,
  custom,
  func,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  str,
  type WithOptions,
} from "../core/args.ts";

/** Where progress lines go; `console.log` by default. */
export type LogFn = (line: string) => void;

/**
 * Options of `enumerateWithEstimate`, after the iterable and its description (the book's batch_iter
 * arguments).
 */
export interface EstimateOptions {
  /** Warm-up items after which the clock restarts (the book passes num_workers). Default 0. */
  startNdx?: number;
  /** First index that logs an estimate. Default 4. */
  printNdx?: number;
  /** Factor between logged indices; default 2, doubled while backoff^7 < iterLen. */
  backoff?: number;
  /** Number of items; defaults to the iterable's `length`. */
  iterLen?: number;
  /** Where the estimate lines go. Default `console.log`. */
  log?: LogFn;
  /** Milliseconds since the epoch; injectable for tests. Default Date.now. */
  now?: () => number;
  /** A live bar on a TTY: called after each item with the index; replaces the log lines. */
  progress?: ProgressSink;
}

/** Receives per-item progress for a live display. */
export interface ProgressSink {
  /** A loop of `total` items labelled `desc` begins. */
  start(desc: string, total: number): void;
  /** Item `ndx` is done, `elapsedSec` seconds after the clock (re)started. */
  update(ndx: number, elapsedSec: number): void;
  /** The loop ended, completely or early (break, return, an error). */
  end(): void;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** Python's str(datetime) without the fraction: "2026-11-27 14:03:11" (local time). */
export function formatDateTime(ms: number): string {
  if (arguments.length > 1) checkArity("train.formatDateTime", arguments, 1);
  // Python's datetime keeps microseconds, rounded: round to µs first, then drop the fraction.
  const d = new Date(Math.floor(Math.round(ms * 1000) / 1000));
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  );
}

/** Python's str(timedelta) without the fraction: "0:00:04", "1 day, 2:03:04". */
export function formatDuration(seconds: number): string {
  if (arguments.length > 1) checkArity("train.formatDuration", arguments, 1);
  // NOTE: timedelta(seconds=x) rounds to whole microseconds before str() shows them, so
  // 59.9999996 s prints as 0:01:00; flooring the raw seconds would print 0:00:59.
  const total = Math.floor(Math.round(seconds * 1e6) / 1e6);
  const days = Math.floor(total / 86400);
  const rest = total % 86400;
  const hms = `${Math.floor(rest / 3600)}:${pad2(Math.floor((rest % 3600) / 60))}:${pad2(rest % 60)}`;
  return days > 0 ? `${days} day${days === 1 ? "" : "s"}, ${hms}` : hms;
}

/** The back-off factor the book uses when none is given: 2, doubled while backoff^7 < iterLen. */
export function defaultBackoff(iterLen: number): number {
  if (arguments.length > 1) checkArity("train.defaultBackoff", arguments, 1);
  let backoff = 2;
  while (backoff ** 7 < iterLen) backoff *= 2;
  return backoff;
}

/** The indices at which an estimate will be logged, for a loop of `iterLen` items. */
export function estimateIndices(iterLen: number, options: EstimateOptions = {}): number[] {
  checkArity("train.estimateIndices", arguments, 2);
  const startNdx = options.startNdx ?? 0;
  const backoff = options.backoff ?? defaultBackoff(iterLen);
  let printNdx = options.printNdx ?? 4;
  while (printNdx < startNdx * backoff) printNdx *= backoff;
  const out: number[] = [];
  for (; printNdx < iterLen; printNdx *= backoff) out.push(printNdx);
  return out;
}

/**
 * Enumerates `iterable` like Python's enumerate, logging "desc ----/N, starting", estimates
 * "desc   64/938, done at 2026-11-27 14:03:11, 0:00:04" and finally "desc ----/N, done at ...",
 * exactly as the book's enumerateWithEstimate.
 *
 * @example for (const [batchNdx, batch] of enumerateWithEstimate(dl, "E1 Training")) { ... }
 */
export function enumerateWithEstimate<T>(
  iterable: Iterable<T> & { length?: number },
  desc: string,
  ...rest: EstimateArgs
): Generator<[number, T]> {
  const options = estimateArgs("enumerateWithEstimate", [iterable, desc, ...rest], Symbol.iterator);
  return enumerateSync(iterable, desc, options);
}

function* enumerateSync<T>(
  iterable: Iterable<T> & { length?: number },
  desc: string,
  options: EstimateOptions,
): Generator<[number, T]> {
  const state = begin(iterable, desc, options);
  let ndx = 0;
  let complete = false;
  let inHand = false;
  try {
    for (const item of iterable) {
      inHand = true;
      yield [ndx, item];
      inHand = false;
      state.after(ndx);
      ndx++;
    }
    complete = true;
  } finally {
    // The loop was left while it held item ndx (break or return after it, or an error in it).
    if (inHand) state.stopped(ndx);
    // NOTE: a loop left early (break, return, an error) still ends the bar, so the next message
    // does not land on the bar's line.
    state.finish(complete);
  }
}

/** The same for async iterables (a DataLoader with worker threads). */
export function enumerateWithEstimateAsync<T>(
  iterable: AsyncIterable<T> & { length?: number },
  desc: string,
  ...rest: EstimateArgs
): AsyncGenerator<[number, T]> {
  const options = estimateArgs(
    "enumerateWithEstimateAsync",
    [iterable, desc, ...rest],
    Symbol.asyncIterator,
  );
  return enumerateAsync(iterable, desc, options);
}

async function* enumerateAsync<T>(
  iterable: AsyncIterable<T> & { length?: number },
  desc: string,
  options: EstimateOptions,
): AsyncGenerator<[number, T]> {
  const state = begin(iterable, desc, options);
  let ndx = 0;
  let complete = false;
  let inHand = false;
  try {
    for await (const item of iterable) {
      inHand = true;
      yield [ndx, item];
      inHand = false;
      state.after(ndx);
      ndx++;
    }
    complete = true;
  } finally {
    // The loop was left while it held item ndx (break or return after it, or an error in it).
    if (inHand) state.stopped(ndx);
    state.finish(complete);
  }
}

/** After `iter` and `desc`: the book's start_ndx, print_ndx, backoff, iter_len, then the options. */
export type EstimateArgs = WithOptions<
  [startNdx: number, printNdx: number, backoff: number | null, iterLen: number | null],
  EstimateOptions
>;

// The book's enumerateWithEstimate(iter, desc_str, start_ndx=0, print_ndx=4, backoff=None,
// iter_len=None) (dlwpt-code util/util.py), then Kiln's keyword-only log, now and progress.
function estimateArgs(op: string, args: unknown[], protocol: symbol): EstimateOptions {
  const sig = signature(
    op,
    {
      iter: custom(
        "an iterable",
        (v): v is object => typeof v === "object" && v !== null && protocol in v,
      ),
      descStr: str,
      startNdx: opt(int, 0),
      printNdx: opt(int, 4),
      backoff: opt(nullable(int)),
      iterLen: opt(nullable(int)),
    },
    {
      log: opt(func),
      now: opt(func),
      progress: opt(
        custom(
          "a ProgressSink",
          (v): v is ProgressSink => typeof v === "object" && v !== null && "update" in v,
        ),
      ),
    },
  );
  const a = parseArgs(sig, args);
  return {
    startNdx: a.startNdx,
    printNdx: a.printNdx,
    ...(a.backoff != null ? { backoff: a.backoff } : {}),
    ...(a.iterLen != null ? { iterLen: a.iterLen } : {}),
    ...(a.log !== undefined ? { log: a.log as LogFn } : {}),
    ...(a.now !== undefined ? { now: a.now as () => number } : {}),
    ...(a.progress !== undefined ? { progress: a.progress } : {}),
  };
}

function begin(iterable: { length?: number }, desc: string, options: EstimateOptions) {
  const iterLen = options.iterLen ?? iterable.length;
  if (iterLen === undefined) {
    throw new TypeError(
      `enumerateWithEstimate: "${desc}" needs iterLen for an iterable without length`,
    );
  }
  const startNdx = options.startNdx ?? 0;
  const backoff = options.backoff ?? defaultBackoff(iterLen);
  if (backoff < 2)
    throw new RangeError(`enumerateWithEstimate: backoff must be >= 2 (got ${backoff})`);
  let printNdx = options.printNdx ?? 4;
  while (printNdx < startNdx * backoff) printNdx *= backoff;
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const bar = options.progress;
  if (bar) bar.start(desc, iterLen);
  else log(`${desc} ----/${iterLen}, starting`);
  let startTs = now();
  return {
    after(ndx: number): void {
      if (bar) bar.update(ndx, (now() - startTs) / 1000);
      if (ndx === printNdx) {
        const durationSec =
          ((now() - startTs) / 1000 / (ndx - startNdx + 1)) * (iterLen - startNdx);
        if (!bar) {
          log(
            `${desc} ${String(ndx).padStart(4)}/${iterLen}, done at ` +
              `${formatDateTime(startTs + durationSec * 1000)}, ${formatDuration(durationSec)}`,
          );
        }
        printNdx *= backoff;
      }
      if (ndx + 1 === startNdx) startTs = now();
    },
    /** The loop was left while it held item `ndx`: the bar counts it as done. */
    stopped(ndx: number): void {
      if (bar) bar.update(ndx, (now() - startTs) / 1000);
    },
    /** The loop ended; `complete` is false when it was left early (only the bar is ended then). */
    finish(complete: boolean): void {
      if (bar) bar.end();
      else if (complete) log(`${desc} ----/${iterLen}, done at ${formatDateTime(now())}`);
    },
  };
}
