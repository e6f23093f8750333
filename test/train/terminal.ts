// A tiny terminal for the progress-bar tests: it applies what a program writes ("\r", "\n",
// ESC[K and printable characters) to a screen of lines, as a terminal of unlimited height would,
// so a test can see what stays in the scrollback. Written apart from src/train/progress.ts.
// Not a test file itself.

/** A fake stream of a given width that records every write and renders the screen. */
export class FakeTerminal {
  readonly writes: string[] = [];
  readonly isTTY = true;
  constructor(readonly columns: number) {}

  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }

  /** The screen's lines after every write so far (the last one may be the live, unfinished line). */
  screen(): string[] {
    const lines: string[] = [""];
    let col = 0;
    const text = this.writes.join("");
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      const row = lines.length - 1;
      if (ch === "\r") col = 0;
      else if (ch === "\n") {
        lines.push("");
        col = 0;
      } else if (ch === "\x1b") {
        // Only ESC [ K (erase to the end of the line) is expected.
        if (text.slice(i, i + 3) !== "\x1b[K") throw new Error(`unexpected escape at ${i}`);
        lines[row] = lines[row]!.slice(0, col);
        i += 2;
      } else {
        const line = lines[row]!.padEnd(col, " ");
        lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
        col++;
      }
    }
    return lines;
  }

  /** The lines that a newline has finished (what stays in the scrollback). */
  scrollback(): string[] {
    return this.screen().slice(0, -1);
  }

  /** The unfinished last line (the live bar, or "" when none is drawn). */
  live(): string {
    return this.screen().at(-1)!;
  }
}
