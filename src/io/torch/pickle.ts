// A restricted unpickler, as PyTorch's `weights_only=True` loader: it interprets the data opcodes
// of pickle protocols 0 to 5 and builds only the globals that the caller's allow-list names; any
// other global, and every opcode that would import or instantiate something else (INST, OBJ,
// EXT*, NEWOBJ_EX, PERSID...), raises a FormatError naming it and its byte offset. Nothing from the
// file is ever executed. Depends on core/errors only; torch specifics live in load-torch.ts.

import { FormatError } from "../../core/errors.ts";

/** A Python dict (or OrderedDict) while unpickling: keys of any type, in insertion order. */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  /** Instance attributes set by BUILD (an OrderedDict's `_metadata`). */
  readonly attrs = new Map<string, unknown>();
}

/** An allow-listed global: what REDUCE / NEWOBJ do when they call it. */
export interface PyCallable {
  readonly qualname: string;
  call(args: readonly unknown[], offset: number): unknown;
}

/** What the caller supplies: its allow-list and the persistent-id loader. */
export interface UnpickleHooks {
  /** The allowed global `module.name`, or undefined to refuse it. */
  findGlobal(module: string, name: string): PyCallable | undefined;
  /** Resolves a BINPERSID id (torch: `("storage", StorageType, key, location, numel)`). */
  persistentLoad(pid: unknown, offset: number): unknown;
}

/** The opcodes that refer to classes or code outside the allow-list mechanism, with their names. */
const REFUSED: Record<number, string> = {
  105: "INST",
  111: "OBJ",
  130: "EXT1",
  131: "EXT2",
  132: "EXT4",
  146: "NEWOBJ_EX",
  80: "PERSID",
  151: "NEXT_BUFFER",
  152: "READONLY_BUFFER",
};

/** A tuple is a frozen array; a list is a plain one. */
export function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

/** The widest LONG1/LONG4 integer read, in bytes (8192 bits; a tensor's sizes and offsets need 8). */
export const MAX_LONG_BYTES = 1024;
/**
 * The most opcodes one pickle may run. Each pushes at most one object, and a JS object of the
 * unpickler costs about 100–300 bytes, so this bounds the memory a small file can claim to about
 * 100 MB; a state dict takes about 25 opcodes a tensor, so 2^19 allows some 20,000 tensors.
 */
export const MAX_PICKLE_OPS = 2 ** 19;
/** The most dims of a size or stride tuple the allow-listed constructors accept (torch.Size and views). */
export const MAX_PICKLE_DIMS = 64;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A little-endian two's-complement integer, in time linear in its length (a hex string parsed
 * once, not a shift per byte): a number when it is a safe integer, else a bigint.
 */
export function signedLE(raw: Uint8Array): number | bigint {
  const n = raw.length;
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + raw[i]!;
    return raw[n - 1]! & 0x80 ? v - 2 ** (8 * n) : v;
  }
  const digits = new Array<string>(n);
  for (let i = 0; i < n; i++) digits[i] = HEX[raw[n - 1 - i]!]!;
  let v = BigInt(`0x${digits.join("")}`);
  if (raw[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/** `s` for an error message: at most `max` characters, marked when cut (names come from the file). */
export function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max)}...(${s.length} characters)`;
}

function describe(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PyDict) return "dict";
  if (isTuple(v)) return "tuple";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object" && v !== null && "qualname" in v)
    return `global ${clip((v as PyCallable).qualname, 80)}`;
  return typeof v;
}

/**
 * Runs the pickle program in `bytes` with the restricted instruction set and returns its result
 * (dicts as PyDict, lists as arrays, tuples as frozen arrays, ints as number or bigint beyond 2^53,
 * str as string, bytes as Uint8Array, None as null). `where` prefixes every error message.
 */
export function unpickle(input: Uint8Array, hooks: UnpickleHooks, where: string): unknown {
  // NOTE: a Buffer's slice() shares memory; viewing it as a plain Uint8Array makes slice() copy.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  /** The byte offset of each open MARK, innermost last. */
  const markAt: number[] = [];
  /** Entries copied by BUILD so far: bounded by the pickle's length, so a shared state is not quadratic. */
  let buildWork = 0;
  const memo = new Map<number, unknown>();
  let pos = 0;
  let op = 0;
  let opAt = 0;

  const fail = (what: string, at = opAt): never => {
    throw new FormatError(`${where} at byte ${at}: ${what}`);
  };
  const need = (n: number, what: string): void => {
    if (pos + n > bytes.length) {
      fail(
        `the pickle ends early: ${what} needs ${n} bytes at byte ${pos}, but only ${bytes.length - pos} remain`,
      );
    }
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => take(1, "an argument")[0]!;
  const u16 = (): number => {
    need(2, "an argument");
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = (): number => {
    need(4, "an argument");
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const u64 = (): number => {
    need(8, "an argument");
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(bytes.length))
      fail(`declared length ${v} exceeds the pickle (${bytes.length} bytes)`);
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("the pickle ends early: a newline-terminated argument is unterminated");
    const s = new TextDecoder("latin1").decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const str = (n: number): string => {
    const raw = take(n, "a string");
    try {
      return utf8.decode(raw);
    } catch {
      return fail("a string is not valid UTF-8");
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail("the stack is empty");
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("the stack is empty");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) fail("no MARK on the stack");
    markAt.pop();
    stack = prev!;
    return items;
  };
  const getMemo = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    return memo.get(i);
  };
  const putMemo = (i: number): void => {
    memo.set(i, top());
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof PyDict)) fail(`SETITEM(S) on a ${describe(dict)}, expected a dict`);
    if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).map.set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list) || isTuple(list))
      fail(`APPEND(S) on a ${describe(list)}, expected a list`);
    // NOTE: push(...items) passes every item as an argument and overflows the call stack for
    // hundreds of thousands of them; a loop does not.
    const out = list as unknown[];
    for (const item of items) out.push(item);
  };
  const global = (module: string, name: string): void => {
    const g = hooks.findGlobal(module, name);
    if (g === undefined) {
      fail(
        `global ${clip(`${module}.${name}`, 120)} is not allowed; only the allow-listed globals of a state dict can be loaded, and no code is run`,
      );
    }
    stack.push(g);
  };
  const callGlobal = (fn: unknown, args: unknown): void => {
    if (typeof fn !== "object" || fn === null || !("qualname" in fn))
      fail(`cannot call a ${describe(fn)}`);
    if (!isTuple(args))
      fail(
        `arguments of ${clip((fn as PyCallable).qualname, 80)} are a ${describe(args)}, expected a tuple`,
      );
    stack.push((fn as PyCallable).call(args as readonly unknown[], opAt));
  };

  let ops = 0;
  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail("the pickle ends early: no STOP opcode", pos);
    if (++ops > MAX_PICKLE_OPS) {
      fail(
        `more than ${MAX_PICKLE_OPS} opcodes; a state dict of 20,000 tensors needs fewer (the cap bounds the memory a file can claim)`,
        pos,
      );
    }
    op = bytes[pos++]!;
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("pickle protocol above 5");
        break;
      case 0x95: // FRAME: a length prefix only
        u64();
        break;
      case 0x2e: // STOP
        if (marks.length !== 0) {
          fail(
            `STOP with ${marks.length} unclosed MARK${marks.length > 1 ? "s" : ""} (the innermost at byte ${markAt[markAt.length - 1]}); expected every MARK closed by TUPLE, LIST, DICT, APPENDS, SETITEMS or POP_MARK`,
          );
        }
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack, expected 1`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack);
        markAt.push(opAt);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4, "BININT");
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(signedLE(take(u8(), "LONG1")));
        break;
      case 0x8b: {
        // LONG4
        need(4, "LONG4");
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) fail("LONG4 with a negative length");
        if (n > MAX_LONG_BYTES) {
          fail(
            `LONG4 of ${n} bytes; Kiln reads integers of at most ${MAX_LONG_BYTES} bytes (a tensor's sizes and offsets need 8)`,
          );
        }
        stack.push(signedLE(take(n, "LONG4")));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8, "BINFLOAT");
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str, read as latin-1 text as pickle's default)
        stack.push(new TextDecoder("latin1").decode(take(u8(), "SHORT_BINSTRING")));
        break;
      case 0x54: {
        // BINSTRING
        need(4, "BINSTRING");
        const n = view.getInt32(pos, true);
        pos += 4;
        if (n < 0) fail("BINSTRING with a negative length");
        stack.push(new TextDecoder("latin1").decode(take(n, "BINSTRING")));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8(), "SHORT_BINBYTES").slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32(), "BINBYTES").slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64(), "BINBYTES8").slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x74: {
        // TUPLE (NOTE: popMark replaces `stack`, so take the items before pushing)
        const items = popMark();
        stack.push(Object.freeze(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        putMemo(u8());
        break;
      case 0x72: // LONG_BINPUT
        putMemo(u32());
        break;
      case 0x94: // MEMOIZE
        putMemo(memo.size);
        break;
      case 0x70: // PUT
        putMemo(Number.parseInt(line(), 10));
        break;
      case 0x68: // BINGET
        stack.push(getMemo(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(getMemo(u32()));
        break;
      case 0x67: // GET
        stack.push(getMemo(Number.parseInt(line(), 10)));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string")
          fail("STACK_GLOBAL needs two strings");
        global(module as string, name as string);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        callGlobal(pop(), args);
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), allowed only for allow-listed classes
        const args = pop();
        callGlobal(pop(), args);
        break;
      }
      case 0x62: {
        // BUILD: only an (Ordered)dict's instance attributes, as `_metadata` of a state dict
        const state = pop();
        const inst = top();
        if (!(inst instanceof PyDict))
          fail(`BUILD on a ${describe(inst)}; only a dict's attributes can be set`);
        if (!(state instanceof PyDict))
          fail(`BUILD with a ${describe(state)} state, expected a dict`);
        buildWork += (state as PyDict).map.size;
        if (buildWork > bytes.length) {
          fail(
            `BUILD states hold ${buildWork} entries in all, more than the pickle's ${bytes.length} bytes could write (a shared state set again and again)`,
          );
        }
        for (const [k, v] of (state as PyDict).map) {
          if (typeof k !== "string") fail("BUILD with a non-string attribute name");
          (inst as PyDict).attrs.set(k as string, v);
        }
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop(), opAt));
        break;
      default: {
        const name = REFUSED[op];
        const printable = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : "";
        fail(
          name !== undefined
            ? `opcode ${name} is not allowed: it imports or instantiates objects outside the allow-list`
            : `opcode 0x${op.toString(16).padStart(2, "0")}${printable} is not supported by the restricted unpickler`,
        );
      }
    }
  }
}
