// The access matrix on a worker thread (tools/artefacts.ts, AccessMatrices): `npm start` plans
// the next stack on the main thread meanwhile. Started with `-r tools/register.js`.
import { parentPort } from "worker_threads";
import type { Plan } from "../src/report/plan";
import { accessMarkdown, computeAccess } from "./access";

export interface AccessRequest {
    id: number;
    plan: Plan;
    related: Plan[];
}

export type AccessReply =
    | { id: number; markdown: string; errors: { principal: string; message: string }[] }
    | { id: number; failure: string };

parentPort!.on("message", (req: AccessRequest) => {
    computeAccess(req.plan, req.related).then(
        (m) =>
            parentPort!.postMessage({ id: req.id, markdown: accessMarkdown(m), errors: m.errors }),
        (e: Error) => parentPort!.postMessage({ id: req.id, failure: e.stack ?? String(e) }),
    );
});
