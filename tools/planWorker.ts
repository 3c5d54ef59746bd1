import { UserError } from "./cli";
import type { PlanOptions } from "./plan";

/**
 * A worker process of `npm start` (tools/planPool.ts): runs stack programs
 * under the mock runtime, one at a time, and sends each plan back. The
 * parent judges them with its one policy analyzer and writes the artefacts.
 */

export interface ProgramRequest {
    id: number;
    opts: Pick<PlanOptions, "stackFile" | "projectDir" | "stackOutputs">;
}

export type ProgramReply =
    | { id: number; plan: import("../src/report/plan").Plan; ms: number }
    | { id: number; error: { message: string; stack?: string; user: boolean } };

process.on("message", (request: ProgramRequest) => {
    void (async () => {
        let reply: ProgramReply;
        try {
            const { runProgram } = require("./plan") as typeof import("./plan");
            const started = process.hrtime.bigint();
            const plan = await runProgram(request.opts);
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            reply = { id: request.id, plan: { ...plan, violations: [] }, ms };
        } catch (e) {
            const error = e instanceof Error ? e : new Error(String(e));
            reply = {
                id: request.id,
                error: { message: error.message, stack: error.stack, user: e instanceof UserError },
            };
        }
        process.send!(reply);
    })();
});

// The parent closing the channel (or dying) ends the worker.
process.on("disconnect", () => process.exit(0));
