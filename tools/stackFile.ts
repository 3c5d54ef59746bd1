import * as fs from "fs";
import * as path from "path";
import YAML, { isMap, isScalar, isSeq, LineCounter, Node, Pair, YAMLMap } from "yaml";
import { didYouMean } from "../src/validation/suggest";
import { displayPath, UserError } from "./cli";

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI would
 * use them, and turns every problem with them into a message that names the
 * file, the line and what to change: YAML syntax errors, tab indentation,
 * duplicate keys, a file not named `Pulumi.<stack>.yaml`, a document that is
 * not a stack file. Values are never decrypted (`secure:` becomes "[secret]").
 */

export interface StackFile {
    project: string;
    stack: string;
    /** `project:key` -> string (objects JSON-encoded), defaults from Pulumi.yaml applied. */
    config: Record<string, string>;
    secretKeys: string[];
    /** Absolute path of the stack file. */
    file: string;
    /**
     * Line (1-based) where a full config key (`ecr-private-access:endpoints.onPremisesCidrs[2]`)
     * is written in the stack file: the deepest part of the key that exists, or undefined.
     */
    lineOf(key: string): number | undefined;
}

/** Stack names the Pulumi CLI accepts (and the file name carries). */
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** Top-level keys of a Pulumi stack settings file. */
const STACK_FILE_KEYS = [
    "config",
    "secretsprovider",
    "encryptedkey",
    "encryptionsalt",
    "environment",
];

/** A problem in a file the user wrote: exit 2, message names the file (and line). */
export class StackFileError extends UserError {
    constructor(
        readonly file: string,
        readonly problems: string[],
    ) {
        super(problems.map((p) => `${displayPath(file)}:${p}`).join("\n"));
        this.name = "StackFileError";
    }
}

/** The stack a file name stands for, or a message saying how to name it. */
export function stackNameOf(stackFile: string): string {
    const base = path.basename(stackFile);
    const match = /^Pulumi\.(.+)\.yaml$/.exec(base);
    if (!match || !STACK_NAME.test(match[1])) {
        const guess = base.replace(/\.ya?ml$/i, "").replace(/^Pulumi\./, "");
        const suggestion =
            STACK_NAME.test(guess) && !guess.startsWith(".") && !guess.endsWith(".")
                ? ` (rename it to Pulumi.${guess}.yaml)`
                : "";
        throw new StackFileError(stackFile, [
            ` not a stack file name: Pulumi reads a stack's settings only from Pulumi.<stack>.yaml next to Pulumi.yaml, where <stack> is letters, digits, "-", "_" and "."${suggestion}`,
        ]);
    }
    return match[1];
}

interface ParsedYaml {
    doc: YAML.Document.Parsed;
    lines: LineCounter;
    text: string;
}

/** Parses one YAML file; syntax errors, tabs and duplicate keys become a StackFileError. */
export function parseYamlFile(file: string): ParsedYaml {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
            code === "ENOENT"
                ? "no such file"
                : code === "EISDIR"
                  ? "is a directory, not a file"
                  : code === "EACCES"
                    ? "cannot be read (permission denied)"
                    : (e as Error).message;
        throw new StackFileError(file, [` ${why}`]);
    }
    const lines = new LineCounter();
    const doc = YAML.parseDocument(text, {
        lineCounter: lines,
        uniqueKeys: false,
        prettyErrors: false,
    });
    const problems = doc.errors.map((error) => {
        // An error found at the end of the file (an unclosed bracket or quote)
        // is shown on the last line that holds something.
        const end = text.trimEnd().length;
        const atEnd = error.pos[0] >= end && end > 0;
        const { line, col } = lines.linePos(atEnd ? end - 1 : error.pos[0]);
        const where = atEnd ? " (the file ends before it is closed)" : "";
        return `${line}:${col}: ${yamlProblem(error.code, error.message)}${where}\n${excerpt(text, line)}`;
    });
    if (problems.length === 0) problems.push(...duplicateKeys(doc.contents, lines, text));
    if (problems.length > 0) throw new StackFileError(file, problems);
    return { doc, lines, text };
}

/** What went wrong and what to change, for the yaml library's error codes. */
function yamlProblem(code: string, message: string): string {
    const what = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    switch (code) {
        case "TAB_AS_INDENT":
            return "this line is indented with a tab; YAML allows only spaces for indentation: replace the tab with spaces";
        case "MULTIPLE_DOCS":
            return "a second YAML document starts here (---); a stack file holds one document: remove the --- line and merge the two";
        case "BAD_INDENT":
        case "MISSING_CHAR":
        case "UNEXPECTED_TOKEN":
            return `YAML syntax error: ${what}; check the indentation and close every quote and bracket`;
        case "MULTILINE_IMPLICIT_KEY":
        case "BLOCK_AS_IMPLICIT_KEY":
            return `YAML syntax error: ${what}; write each setting as "key: value" (a space after the colon) and indent nested keys under their parent`;
        case "DUPLICATE_KEY":
            return "this key is set twice in the same mapping; keep one";
        default:
            return `YAML syntax error: ${what}`;
    }
}

/** The line, for context: `   12 | text`. */
function excerpt(text: string, line: number): string {
    const content = text.split(/\r?\n/)[line - 1] ?? "";
    return `    ${String(line).padStart(4)} | ${content.replace(/\t/g, "\\t")}`;
}

/** Keys set twice in one mapping, anywhere in the document (YAML forbids it; Pulumi's parser refuses it). */
function duplicateKeys(node: unknown, lines: LineCounter, text: string): string[] {
    const problems: string[] = [];
    const walk = (n: unknown) => {
        if (isMap(n)) {
            const first = new Map<string, number>();
            for (const pair of n.items) {
                const name = keyText(pair);
                const offset = (pair.key as Node | null)?.range?.[0] ?? 0;
                const line = lines.linePos(offset).line;
                const earlier = first.get(name);
                if (earlier !== undefined) {
                    problems.push(
                        `${line}:${lines.linePos(offset).col}: "${name}" is set twice in the same mapping (first on line ${earlier}); keep one\n${excerpt(text, line)}`,
                    );
                } else {
                    first.set(name, line);
                }
                walk(pair.value);
            }
        } else if (isSeq(n)) {
            n.items.forEach(walk);
        }
    };
    walk(node);
    return problems;
}

function keyText(pair: Pair): string {
    const key = pair.key;
    return isScalar(key) ? String(key.value) : String(key);
}

interface ProjectFile {
    name: string;
    config?: Record<string, { default?: unknown; value?: unknown } | null>;
}

/** Loads Pulumi.yaml defaults plus a stack file. `secure:` values become "[secret]", never decrypted. */
export function loadStackFile(stackFile: string, projectDir: string): StackFile {
    const file = path.resolve(stackFile);
    const stack = stackNameOf(file);
    const projectPath = path.join(projectDir, "Pulumi.yaml");
    const project = toJs(parseYamlFile(projectPath), projectPath) as ProjectFile;

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);
    const put = (key: string, value: unknown) => {
        if (isSecure(value)) {
            config[key] = "[secret]";
            if (!secretKeys.includes(key)) secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value ?? null);
            const i = secretKeys.indexOf(key);
            if (i >= 0) secretKeys.splice(i, 1);
        }
    };
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const value = decl?.value ?? decl?.default;
        if (value !== undefined) put(qualify(key), value);
    }

    const parsed = parseYamlFile(file);
    const { doc, lines } = parsed;
    const problems: string[] = [];
    const at = (node: unknown) => {
        const offset = (node as Node | null)?.range?.[0];
        return offset === undefined ? "" : `${lines.linePos(offset).line}:`;
    };
    const root = doc.contents;
    let configMap: YAMLMap | undefined;
    if (root !== null && !(isScalar(root) && root.value === null)) {
        if (!isMap(root)) {
            problems.push(
                `${at(root)} a stack file is a YAML mapping with a "config:" key holding the stack's settings, not a ${isSeq(root) ? "list" : "single value"}`,
            );
        } else {
            for (const pair of root.items) {
                const name = keyText(pair);
                if (!STACK_FILE_KEYS.includes(name)) {
                    problems.push(
                        `${at(pair.key)} unknown top-level key "${name}": the stack's settings go under "config:" (known: ${STACK_FILE_KEYS.join(", ")})${didYouMean(name, STACK_FILE_KEYS)}`,
                    );
                } else if (name === "config") {
                    const value = pair.value;
                    if (isMap(value)) configMap = value;
                    else if (!(value === null || (isScalar(value) && value.value === null))) {
                        problems.push(
                            `${at(value)} "config:" must be a mapping of settings (key: value, one per line, indented under it), not a ${isSeq(value) ? "list" : "single value"}`,
                        );
                    }
                }
            }
        }
    }
    for (const pair of configMap?.items ?? []) {
        const name = keyText(pair);
        if (name.trim() === "" || name.split(":").length > 2 || /\s/.test(name)) {
            problems.push(
                `${at(pair.key)} "${name}" is not a config key; write <namespace>:<name> (such as aws:region) or a bare name for the project's namespace`,
            );
            continue;
        }
        let value: unknown;
        try {
            value = YAML.isNode(pair.value)
                ? pair.value.toJS(doc, { maxAliasCount: 100 })
                : pair.value;
        } catch (e) {
            // Unresolved or runaway YAML aliases (*name without &name before it).
            problems.push(
                `${at(pair.value ?? pair.key)} ${name}: ${(e as Error).message}; define the anchor (&name) before using the alias (*name), or write the value out`,
            );
            continue;
        }
        put(qualify(name), value);
    }
    if (problems.length > 0) throw new StackFileError(file, problems);

    return {
        project: project.name,
        stack,
        config,
        secretKeys,
        file,
        lineOf: (key: string) => locate(configMap, lines, key, project.name),
    };
}

function isSecure(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        Object.keys(value as object).length === 1 &&
        "secure" in (value as object)
    );
}

function toJs(parsed: ParsedYaml, file: string): unknown {
    try {
        return parsed.doc.toJS({ maxAliasCount: 100 }) ?? {};
    } catch (e) {
        throw new StackFileError(file, [` ${(e as Error).message}`]);
    }
}

/**
 * The line of a config key in the stack file. `ecr-private-access:a.b[2]` is
 * looked up as the top-level key `ecr-private-access:a` (or `a`), then `b`,
 * then item 2; the deepest part found gives the line.
 */
function locate(
    config: YAMLMap | undefined,
    lines: LineCounter,
    key: string,
    project: string,
): number | undefined {
    if (!config) return undefined;
    const colon = key.indexOf(":");
    const ns = key.slice(0, colon);
    const [top, ...rest] = key
        .slice(colon + 1)
        .split(/\.|(?=\[)/)
        .filter((s) => s !== "");
    const names = ns === project ? [`${ns}:${top}`, top] : [`${ns}:${top}`];
    const pair = config.items.find((p) => names.includes(keyText(p)));
    if (!pair) return undefined;
    const line = (n: unknown) => {
        const offset = (n as Node | null)?.range?.[0];
        return offset === undefined ? undefined : lines.linePos(offset).line;
    };
    let found = line(pair.key);
    let node: unknown = pair.value;
    for (const segment of rest) {
        const index = /^\[(\d+)\]$/.exec(segment);
        if (index && isSeq(node)) {
            node = node.items[Number(index[1])];
            if (node === undefined) break;
            found = line(node) ?? found;
        } else if (!index && isMap(node)) {
            const child = node.items.find((p) => keyText(p) === segment);
            if (!child) break;
            found = line(child.key) ?? found;
            node = child.value;
        } else {
            break;
        }
    }
    return found;
}
