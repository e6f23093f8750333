// The public API as the TypeScript compiler sees it: every export reachable from src/index.ts
// (through the namespace re-exports) and every public member of every exported class, each with
// whether it carries a TSDoc comment. Used by the doc-comment test and the name-table check.
// Depends only on the `typescript` compiler API, never on Kiln itself.

import * as path from "node:path";
import ts from "typescript";

/** One public item: an export (`nn.Linear`) or a class member (`nn.Linear#forward`). */
export interface ApiItem {
  /** Dotted export path; instance members follow `#`, static members `.` (`Tensor#add`). */
  name: string;
  /** What it is: "class", "function", "method", "property", ... */
  kind: string;
  /** Repository-relative file of the declaration that should carry the comment. */
  file: string;
  /** 1-based line of that declaration. */
  line: number;
  /** Whether it (or, for an override, the member it overrides) has a doc comment. */
  documented: boolean;
}

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Builds a program over src/index.ts with the repository's compiler options. */
export function createProgram(root: string = ROOT): ts.Program {
  const configPath = path.join(root, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return ts.createProgram([path.join(root, "src/index.ts")], {
    ...parsed.options,
    noEmit: true,
  });
}

function hasText(parts: readonly ts.SymbolDisplayPart[]): boolean {
  return parts.some((p) => p.text.trim() !== "");
}

function isHidden(decl: ts.Node): boolean {
  return ts
    .getJSDocTags(decl)
    .some((t) => ["hidden", "ignore", "internal"].includes(t.tagName.text));
}

/** True when a JSDoc block with prose sits on the declaration (or its variable statement). */
function ownDoc(decl: ts.Node): boolean {
  const host = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
  for (const doc of ts.getJSDocCommentsAndTags(host)) {
    if (!ts.isJSDoc(doc)) continue;
    const text =
      typeof doc.comment === "string" ? doc.comment : ts.getTextOfJSDocComment(doc.comment);
    if (text !== undefined && text.trim() !== "") return true;
  }
  return false;
}

function kindOf(decl: ts.Declaration): string {
  if (ts.isClassDeclaration(decl)) return "class";
  if (ts.isFunctionDeclaration(decl)) return "function";
  if (ts.isInterfaceDeclaration(decl)) return "interface";
  if (ts.isTypeAliasDeclaration(decl)) return "type";
  if (ts.isVariableDeclaration(decl)) return "variable";
  if (ts.isEnumDeclaration(decl)) return "enum";
  if (ts.isMethodDeclaration(decl)) return "method";
  if (ts.isPropertyDeclaration(decl) || ts.isParameter(decl)) return "property";
  if (ts.isGetAccessor(decl) || ts.isSetAccessor(decl)) return "accessor";
  if (ts.isConstructorDeclaration(decl)) return "constructor";
  return ts.SyntaxKind[decl.kind];
}

function isPublic(decl: ts.Declaration): boolean {
  const name = (decl as ts.NamedDeclaration).name;
  if (name !== undefined && ts.isPrivateIdentifier(name)) return false;
  const flags = ts.getCombinedModifierFlags(decl);
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

function isMember(decl: ts.Declaration): boolean {
  return (
    ts.isMethodDeclaration(decl) ||
    ts.isPropertyDeclaration(decl) ||
    ts.isGetAccessor(decl) ||
    ts.isSetAccessor(decl) ||
    ts.isConstructorDeclaration(decl) ||
    (ts.isParameter(decl) && ts.isParameterPropertyDeclaration(decl, decl.parent))
  );
}

/** Walks the public API of the program's src/index.ts. */
export function collectApi(program: ts.Program, root: string = ROOT): ApiItem[] {
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(path.join(root, "src/index.ts"));
  if (entry === undefined) throw new Error("src/index.ts is not in the program");
  const entrySymbol = checker.getSymbolAtLocation(entry);
  if (entrySymbol === undefined) throw new Error("src/index.ts is not a module");

  const items: ApiItem[] = [];
  const seenMembers = new Set<ts.Node>();
  const classes: [string, ts.Symbol][] = [];
  const exportName = new Map<ts.Node, string>();

  const where = (decl: ts.Node): { file: string; line: number } => {
    const sf = decl.getSourceFile();
    const { line } = sf.getLineAndCharacterOfPosition(decl.getStart(sf));
    return { file: path.relative(root, sf.fileName), line: line + 1 };
  };

  const resolve = (s: ts.Symbol): ts.Symbol =>
    s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;

  // A member counts as documented when it, or the base-class or interface member it overrides,
  // has a comment: TypeScript's getDocumentationComment follows that chain as TypeDoc does.
  const memberDocumented = (sym: ts.Symbol, decls: readonly ts.Declaration[]): boolean =>
    decls.some(ownDoc) || hasText(sym.getDocumentationComment(checker));

  const walkClass = (prefix: string, cls: ts.Symbol): void => {
    const type = checker.getDeclaredTypeOfSymbol(cls);
    const statics = checker.getTypeOfSymbol(cls);
    const groups: [string, ts.Symbol[]][] = [
      ["#", type.getProperties()],
      [".", statics.getProperties().filter((p) => p.name !== "prototype")],
    ];
    const ctor = cls.members?.get("__constructor" as ts.__String);
    if (ctor !== undefined) groups.push([".", [ctor]]);
    for (const [sep, members] of groups) {
      for (const m of members) {
        const decls = (m.declarations ?? []).filter(
          (d) => isMember(d) && d.getSourceFile().fileName.startsWith(path.join(root, "src")),
        );
        const first = decls[0];
        if (first === undefined || !decls.every(isPublic) || decls.some(isHidden)) continue;
        // An inherited member is reported once, at the class that declares it.
        if (seenMembers.has(first)) continue;
        seenMembers.add(first);
        const name =
          m.name === "__constructor"
            ? "constructor"
            : m.name.replace(/^__@(\w+)@\d+$/, "[Symbol.$1]");
        // A member declared in a base class is named after that class (`nn.Module#parameters`).
        const owner = ts.isParameter(first) ? first.parent.parent : first.parent;
        const ownerName =
          exportName.get(owner) ??
          (ts.isClassDeclaration(owner) && owner.name !== undefined ? owner.name.text : prefix);
        items.push({
          name: `${ownerName}${sep}${name}`,
          kind: kindOf(first),
          ...where(first),
          documented: memberDocumented(m, decls),
        });
      }
    }
  };

  const walkModule = (prefix: string, mod: ts.Symbol): void => {
    for (const exp of checker.getExportsOfModule(mod)) {
      const target = resolve(exp);
      const name = prefix === "" ? exp.name : `${prefix}.${exp.name}`;
      const decls = target.declarations ?? [];
      if (decls.some(ts.isSourceFile)) {
        walkModule(name, target);
        continue;
      }
      const first = decls[0];
      if (first === undefined || decls.some(isHidden)) continue;
      items.push({
        name,
        kind: kindOf(first),
        ...where(first),
        documented: decls.some(ownDoc),
      });
      if (target.flags & ts.SymbolFlags.Class) {
        classes.push([name, target]);
        for (const d of decls) if (!exportName.has(d)) exportName.set(d, name);
      }
    }
  };

  walkModule("", entrySymbol);
  for (const [name, cls] of classes) walkClass(name, cls);
  return items;
}
