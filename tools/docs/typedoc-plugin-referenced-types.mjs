// TypeDoc plugin: documents the types that public signatures use but src/index.ts does not export
// (options objects such as BatchNormArgs, positional tuples such as ConvPositional), inside the
// namespace whose signature refers to them, so every parameter type in the reference links to
// its definition. Only types declared under src/ are pulled in. Depends on TypeDoc 0.28's
// Context.createSymbolReference hook (kept public for this purpose) and Converter.convertSymbol.

import path from "node:path";
import { Context, Converter, ReflectionKind, TypeScript as ts } from "typedoc";

const TYPE =
  ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.Enum;
const CONTAINER = ReflectionKind.Project | ReflectionKind.Module | ReflectionKind.Namespace;

/** @param {import("typedoc").Application} app */
export function load(app) {
  const src = path.resolve(import.meta.dirname, "../../src") + path.sep;
  /** @type {Map<ts.Symbol, { scope: import("typedoc").Reflection, program: ts.Program }>} */
  const referenced = new Map();

  const original = Context.prototype.createSymbolReference;
  Context.prototype.createSymbolReference = function (symbol, context, name) {
    const file = symbol.declarations?.[0]?.getSourceFile().fileName;
    const isType = (symbol.flags & TYPE) !== 0 && (symbol.flags & ts.SymbolFlags.Module) === 0;
    if (file?.startsWith(src) && isType && !referenced.has(symbol)) {
      let scope = context.scope;
      while (!scope.kindOf(CONTAINER) && scope.parent !== undefined) scope = scope.parent;
      referenced.set(symbol, { scope, program: context.program });
    }
    return original.call(this, symbol, context, name);
  };

  /** TypeDoc's withScope steps one level at a time, from the project down to `scope`. */
  const scopedContext = (context, scope) => {
    const chain = [];
    for (let r = scope; r !== undefined && r !== context.scope; r = r.parent) chain.unshift(r);
    return chain.reduce((ctx, r) => ctx.withScope(r), context);
  };

  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (context) => {
      const tried = new Set();
      for (;;) {
        const pending = [...referenced].filter(
          ([s]) => !tried.has(s) && context.getReflectionFromSymbol(s) === undefined,
        );
        if (pending.length === 0) break;
        for (const [symbol, { scope, program }] of pending) {
          tried.add(symbol);
          context.setActiveProgram(program);
          app.converter.permitDeferredConversion();
          app.converter.convertSymbol(scopedContext(context, scope), symbol);
          app.converter.finalizeDeferredConversion();
          context.setActiveProgram(undefined);
        }
      }
      referenced.clear();
    },
    1e9,
  );
}
