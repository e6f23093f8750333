// A live one-line progress bar for terminals: percent, items/s, ETA and a running loss, fitted to
// the terminal's width. When a loop ends it can leave one summary line in the scrollback; any
// message printed while it is live goes above it, never onto its line. Used in place of
// enumerateWithEstimate's log lines when stdout is a TTY; never in pipes or CI logs. Depends only
// on estimate.ts (for the duration format); the stream is any object with `write`.

import { checkArity } from "../core/args.ts";
import type { ProgressSink } from "./estimate.ts";
import { formatDuration } from "./estimate.ts";

/** What TerminalProgress writes to: `process.stdout`, or any object with `write` (tests). */
export interface ProgressStream {
  /** Writes text as is (the bar uses '\r', '\n' and ESC[K). */
  write(s: string): unknown;
  /** Width of the terminal in characters (default 80 when absent). */
  columns?: number;
  /** Whether the stream is a terminal (the CLI draws bars only then). */
  isTTY?: boolean;
}

/** Options of `new TerminalProgress(stream, options)`. */
export interface TerminalProgressOptions {
  /**
   * When a loop ends, leave one line in the scrollback
   * (`E1 Training 938/938 in 0:00:12, 78.2 it/s, mean loss 0.2731`); otherwise the bar is erased.
   * Default true.
   */
  summary?: boolean;
  /** Milliseconds since the epoch, for the redraw throttle; injectable for tests. Default Date.now. */
  now?: () => number;
}

/** The widest the bar itself grows, in characters between the brackets. */
const MAX_BAR = 30;
/** Below this many characters the bar is dropped rather than drawn uselessly short. */
const MIN_BAR = 5;
/** Redraws at most this often (milliseconds), except the last item's. */
const REDRAW_MS = 100;

/** The fields of one bar line; `layoutProgressLine` fits them to a width. */
export interface ProgressLineParts {
  desc: string;
  /** Fraction done, in [0, 1]. */
  frac: number;
  /** Items per second. */
  rate: number;
  /** Seconds left. */
  eta: number;
  loss: number | null;
}

/**
 * Fits a progress line into `width` characters. Shrinks the bar first (30 characters at most),
 * then closes up the double spaces, then drops the bar, then the rate, then shortens the
 * description, then drops the labels: the percentage, ETA and loss are never cut.
 *
 * @example layoutProgressLine({ desc: "E1 Training", frac: 0.5, rate: 2, eta: 2, loss: 0.25 }, 79)
 */
export function layoutProgressLine(parts: ProgressLineParts, width: number): string {
  if (arguments.length > 2) checkArity("train.layoutProgressLine", arguments, 2);
  const { desc } = parts;
  const pct = `${String(Math.floor(parts.frac * 100)).padStart(3)}%`;
  const eta = formatDuration(parts.eta);
  const loss = parts.loss === null ? null : parts.loss.toFixed(4);
  const rate = `${parts.rate.toFixed(1)} it/s`;
  const tail = (withRate: boolean, gap: string) =>
    [
      pct,
      ...(withRate ? [rate] : []),
      `ETA ${eta}`,
      ...(loss === null ? [] : [`loss ${loss}`]),
    ].join(gap);
  for (const t of [tail(true, "  "), tail(true, " ")]) {
    // desc [bar] tail
    const room = width - desc.length - t.length - 4;
    if (room >= MIN_BAR) {
      const w = Math.min(MAX_BAR, room);
      const filled = Math.min(w, Math.round(parts.frac * w));
      return `${desc} [${"#".repeat(filled)}${".".repeat(w - filled)}] ${t}`;
    }
  }
  for (const t of [tail(true, "  "), tail(true, " "), tail(false, " ")]) {
    if (desc.length + 1 + t.length <= width) return `${desc} ${t}`;
  }
  const short = tail(false, " ");
  const descRoom = width - 1 - short.length;
  if (descRoom >= 3) return `${desc.slice(0, descRoom - 1)}… ${short}`;
  const bare = [pct, eta, ...(loss === null ? [] : [loss])].join(" ");
  return bare.length <= width ? bare : [eta, ...(loss === null ? [] : [loss])].join(" ");
}

/**
 * Draws `desc [#####.....]  42%  118.3 it/s  ETA 0:00:05  loss 0.2731` on one line, redrawn in
 * place, fitted to the stream's `columns`. `print(line)` writes a message above the bar; `end()`
 * erases the bar and, with `summary` (the default), leaves
 * `desc 938/938 in 0:00:12, 78.2 it/s, mean loss 0.2731` in its place.
 *
 * @example const bar = new train.TerminalProgress(process.stdout, { summary: true });
 */
export class TerminalProgress implements ProgressSink {
  #desc = "";
  #total = 0;
  #loss: number | null = null;
  #lossSum = 0;
  #lossCount = 0;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #done = 0;
  #elapsed = 0;
  #active = false;
  #drawn = false;
  #startMs = 0;
  readonly #stream: ProgressStream;
  readonly #summary: boolean;
  readonly #now: () => number;

  /**
   * A bar drawn on `stream` (default `process.stdout`); `options.summary` (default true) keeps a
   * line per loop.
   */
  constructor(stream: ProgressStream = process.stdout, options: TerminalProgressOptions = {}) {
    if (arguments.length > 2) checkArity("train.TerminalProgress", arguments, 2);
    this.#stream = stream;
    this.#summary = options.summary ?? true;
    this.#now = options.now ?? Date.now;
  }

  /** Whether a bar line is on screen now (a message must clear it first: see `print`). */
  get live(): boolean {
    return this.#drawn;
  }

  /** The running loss shown at the end of the line; the summary shows the mean of those given. */
  setLoss(loss: number): void {
    this.#loss = loss;
    if (Number.isFinite(loss)) {
      this.#lossSum += loss;
      this.#lossCount++;
    }
  }

  /** Begins a loop of `total` items labelled `desc` (called by enumerateWithEstimate). */
  start(desc: string, total: number): void {
    this.clear();
    this.#desc = desc;
    this.#total = total;
    this.#loss = null;
    this.#lossSum = 0;
    this.#lossCount = 0;
    this.#lastDraw = Number.NEGATIVE_INFINITY;
    this.#done = 0;
    this.#elapsed = 0;
    this.#startMs = this.#now();
    this.#active = true;
  }

  /** Item `ndx` is done, `elapsedSec` after the clock started: redraws (at most every 100 ms). */
  update(ndx: number, elapsedSec: number): void {
    this.#done = ndx + 1;
    this.#elapsed = elapsedSec;
    const t = this.#now();
    if (this.#done < this.#total && t - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = t;
    this.redraw();
  }

  /** Draws the bar line now (after `print`, or to show the latest state). */
  redraw(): void {
    if (!this.#active) return;
    const done = this.#done;
    const frac = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const rate = this.#elapsed > 0 ? done / this.#elapsed : 0;
    const eta = rate > 0 ? Math.max(0, this.#total - done) / rate : 0;
    const line = layoutProgressLine(
      { desc: this.#desc, frac, rate, eta, loss: this.#loss },
      this.#width(),
    );
    this.#stream.write(`\r${line}\x1b[K`);
    this.#drawn = true;
  }

  /** Erases the bar's line if it is drawn, leaving the cursor at its start. */
  clear(): void {
    if (!this.#drawn) return;
    this.#stream.write("\r\x1b[K");
    this.#drawn = false;
  }

  /** Writes `line` above the bar: clears the bar's line, writes the line, redraws the bar. */
  print(line: string): void {
    checkArity("TerminalProgress.print", arguments, 1);
    this.clear();
    this.#stream.write(`${line}\n`);
    this.redraw();
  }

  /** Ends the loop: erases the bar and, with `summary`, leaves one line saying how it went. */
  end(): void {
    this.clear();
    if (this.#active && this.#summary) {
      // The whole loop's wall time, warm-up included (the bar's rate leaves the warm-up out).
      const seconds = (this.#now() - this.#startMs) / 1000;
      const rate = seconds > 0 ? this.#done / seconds : 0;
      const loss =
        this.#lossCount > 0 ? `, mean loss ${(this.#lossSum / this.#lossCount).toFixed(4)}` : "";
      const stopped = this.#done < this.#total ? " (stopped)" : "";
      this.#stream.write(
        `${this.#desc} ${this.#done}/${this.#total}${stopped} in ${formatDuration(seconds)}, ${rate.toFixed(1)} it/s${loss}\n`,
      );
    }
    this.#active = false;
  }

  #width(): number {
    const c = this.#stream.columns;
    // NOTE: one less than the width: writing into the last column makes some terminals wrap, and
    // a wrapped line can no longer be redrawn with '\r'.
    return (typeof c === "number" && c > 0 ? c : 80) - 1;
  }
}
