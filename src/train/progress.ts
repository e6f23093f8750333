// A live one-line progress bar for terminals: percent, items/s, ETA and a running loss. Used in
// place of enumerateWithEstimate's log lines when stdout is a TTY; never in pipes or CI logs.

import { checkArity } from "../core/args.ts";
import type { ProgressSink } from "./estimate.ts";
import { formatDuration } from "./estimate.ts";

/** Draws `desc [#####.....]  42%  118.3 it/s  ETA 0:00:05  loss 0.2731` on one line. */
export class TerminalProgress implements ProgressSink {
  #desc = "";
  #total = 0;
  #loss: number | null = null;
  #lastDraw = 0;
  readonly #stream: NodeJS.WriteStream;

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    if (arguments.length > 1) checkArity("train.TerminalProgress", arguments, 1);
    this.#stream = stream;
  }

  /** The running loss shown at the end of the line. */
  setLoss(loss: number): void {
    this.#loss = loss;
  }

  start(desc: string, total: number): void {
    this.#desc = desc;
    this.#total = total;
    this.#loss = null;
    this.#lastDraw = 0;
  }

  update(ndx: number, elapsedSec: number): void {
    const done = ndx + 1;
    const t = Date.now();
    if (done < this.#total && t - this.#lastDraw < 100) return;
    this.#lastDraw = t;
    const frac = this.#total > 0 ? done / this.#total : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const rate = elapsedSec > 0 ? done / elapsedSec : 0;
    const eta = rate > 0 ? (this.#total - done) / rate : 0;
    const loss = this.#loss === null ? "" : `  loss ${this.#loss.toFixed(4)}`;
    const line =
      `${this.#desc} [${"#".repeat(filled)}${".".repeat(width - filled)}] ` +
      `${String(Math.floor(frac * 100)).padStart(3)}%  ${rate.toFixed(1)} it/s  ETA ${formatDuration(eta)}${loss}`;
    this.#stream.write(`\r${line.slice(0, (this.#stream.columns ?? 120) - 1)}\x1b[K`);
  }

  end(): void {
    this.#stream.write("\r\x1b[K");
  }
}
