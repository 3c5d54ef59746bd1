import * as path from "path";

/**
 * What every command-line tool of the project shares: the exit codes and how
 * a run ends.
 *
 * - 0: done, nothing to report; 1: a mandatory policy failed.
 * - 2: the user's input is wrong (stack file, config, arguments, a file
 *   named on the command line). A `UserError` carries a message that names
 *   the file and the key; it is printed as is, never with a stack trace.
 * - 3: anything else is a bug in this project, printed as one with its trace.
 *
 * A run ends by setting `process.exitCode` and letting Node exit once stdout
 * and stderr have drained: `process.exit()` right after a large write to a
 * pipe cuts the output short (a 1 MB plan arrives as 64 KiB).
 */

export const EXIT = { ok: 0, violations: 1, userError: 2, internalError: 3 } as const;

/** A problem with the user's input: exit 2, message shown as is. */
export class UserError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UserError";
    }
}

/** How a path is shown in messages: relative to the working directory when under it. */
export function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** The exit-3 report: worded as a bug to report, with the trace that helps fix it. */
export function internalErrorReport(tool: string, error: unknown): string {
    const e = error instanceof Error ? error : new Error(String(error));
    return [
        `${tool}: internal error: ${e.message}`,
        "This is a bug in ecr-private-access, not a problem with your stack file or arguments.",
        "Please report it to the project's maintainers with the command you ran, the stack file, and this trace:",
        e.stack ?? String(e),
        "",
    ].join("\n");
}

/**
 * Runs a CLI's main function and ends the process the safe way: the exit code
 * is set, never forced, so pending output reaches its pipe. User errors print
 * their message (exit 2); anything else prints a bug report (exit 3).
 */
export function runCli(tool: string, main: () => Promise<number> | number): Promise<void> {
    return Promise.resolve()
        .then(main)
        .then(
            (code) => {
                process.exitCode = code;
            },
            (error: unknown) => {
                if (error instanceof UserError) {
                    process.stderr.write(`${error.message}\n`);
                    process.exitCode = EXIT.userError;
                } else {
                    process.stderr.write(internalErrorReport(tool, error));
                    process.exitCode = EXIT.internalError;
                }
            },
        );
}
