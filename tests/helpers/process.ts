import { ChildProcess, execFile } from "child_process";
import * as fs from "fs";

/**
 * A stop function for a test server: SIGTERM, SIGKILL after 3 s if it is
 * still there, then remove its temporary directory. Idempotent, so `after`
 * hooks can call it whatever happened before.
 */
export function stopper(
    child: ChildProcess,
    dir: string,
    onStopped: () => void = () => undefined,
): () => Promise<void> {
    let stopped: Promise<void> | undefined;
    return () => {
        stopped ??= new Promise<void>((resolve) => {
            const done = () => {
                clearTimeout(killTimer);
                onStopped();
                fs.rmSync(dir, { recursive: true, force: true });
                resolve();
            };
            const killTimer = setTimeout(() => child.kill("SIGKILL"), 3000);
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", done);
            child.kill("SIGTERM");
        });
        return stopped;
    };
}

/**
 * Runs a program to completion (killed after `timeoutMs`) and resolves with
 * its stdout; rejects with the command line, the error and its stderr.
 */
export function runCmd(bin: string, args: string[], timeoutMs = 30000): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
            if (err) reject(new Error(`${bin} ${args.join(" ")}: ${err.message}\n${stderr}`));
            else resolve(stdout);
        });
    });
}
