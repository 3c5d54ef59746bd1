import { ChildProcess, fork } from "child_process";
import * as path from "path";
import type { Plan } from "../src/report/plan";
import { UserError } from "./cli";
import type { PlanOptions } from "./plan";
import type { ProgramReply, ProgramRequest } from "./planWorker";

/**
 * Runs stack programs for `npm start`: in this process, one at a time (the
 * mock runtime is global to a process), or in `jobs` worker processes, so
 * that many stacks use every core. A program's errors come back as they were
 * thrown: a UserError stays one (exit 2), anything else is a bug (exit 3).
 */
export class ProgramPool {
    private readonly workers: ChildProcess[] = [];
    private readonly idle: ChildProcess[] = [];
    private readonly queue: (() => void)[] = [];
    private readonly waiting = new Map<number, (reply: ProgramReply) => void>();
    private next = 0;
    private inProcess: Promise<unknown> = Promise.resolve();

    constructor(readonly jobs: number) {
        for (let i = 0; i < jobs; i++) {
            const worker = fork(path.join(__dirname, "planWorker.ts"), [], {
                execArgv: ["-r", path.join(__dirname, "register.js")],
                serialization: "advanced",
                stdio: ["ignore", "inherit", "inherit", "ipc"],
            });
            worker.on("message", (reply: ProgramReply) => {
                const settle = this.waiting.get(reply.id);
                this.waiting.delete(reply.id);
                this.release(worker);
                settle?.(reply);
            });
            worker.on("exit", (code, signal) => {
                if (this.closing) return;
                const failure = `a plan worker exited (${signal ?? code}) before it answered`;
                for (const [id, settle] of this.waiting) {
                    settle({ id, error: { message: failure, user: false } });
                }
                this.waiting.clear();
            });
            this.workers.push(worker);
            this.idle.push(worker);
        }
    }

    private closing = false;

    /**
     * Runs one stack's program; resolves with its plan (not judged) and how long the program
     * took, waiting for a free worker excluded.
     */
    run(opts: ProgramRequest["opts"]): Promise<{ plan: Omit<Plan, "violations">; ms: number }> {
        if (this.jobs === 0) {
            const run = this.inProcess.then(async () => {
                const { runProgram } = require("./plan") as typeof import("./plan");
                const started = process.hrtime.bigint();
                const plan = await runProgram(opts as PlanOptions);
                return { plan, ms: Number(process.hrtime.bigint() - started) / 1e6 };
            });
            this.inProcess = run.catch(() => undefined);
            return run;
        }
        return new Promise<ProgramReply>((resolve) => {
            const start = () => {
                const worker = this.idle.pop()!;
                const id = this.next++;
                this.waiting.set(id, resolve);
                worker.send({ id, opts } satisfies ProgramRequest);
            };
            if (this.idle.length > 0) start();
            else this.queue.push(start);
        }).then((reply) => {
            if ("plan" in reply) {
                const { violations: _, ...plan } = reply.plan;
                return { plan, ms: reply.ms };
            }
            if (reply.error.user) throw new UserError(reply.error.message);
            const error = new Error(reply.error.message);
            error.stack = reply.error.stack ?? error.stack;
            throw error;
        });
    }

    private release(worker: ChildProcess): void {
        this.idle.push(worker);
        this.queue.shift()?.();
    }

    /** Ends the workers. */
    close(): void {
        this.closing = true;
        for (const w of this.workers) w.disconnect();
    }
}
