// The access matrix on a worker thread (tools/artefacts.ts, AccessMatrices): `npm start` plans
// the next stack on the main thread meanwhile. Started with `-r tools/register.js`.
import { parentPort } from "worker_threads";
import type { Plan } from "../src/report/plan";
import { accessMarkdown, computeAccess } from "./access";

export interface AccessRequest {
    id: number;
    plan: Plan;
    /** Stacks sent earlier whose plans this one's matrix reads (the vendor's for a customer). */
    related: string[];
}

export type AccessReply =
    | { id: number; markdown: string; errors: { principal: string; message: string }[] }
    | { id: number; failure: string };

// The evaluator loads while the main thread runs the first programs, not with the first matrix.
require("@cloud-copilot/iam-simulate");

// Every plan is sent once; a later stack names the earlier ones it reads.
const plans = new Map<string, Plan>();

parentPort!.on("message", (req: AccessRequest) => {
    plans.set(req.plan.stack, req.plan);
    const related = req.related.flatMap((s) => plans.get(s) ?? []);
    computeAccess(req.plan, related).then(
        (m) =>
            parentPort!.postMessage({ id: req.id, markdown: accessMarkdown(m), errors: m.errors }),
        (e: Error) => parentPort!.postMessage({ id: req.id, failure: e.stack ?? String(e) }),
    );
});
