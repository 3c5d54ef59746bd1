import type { DoctorResult, StepResult } from "../../tools/doctor/types";

/** The doctor's steps as `{id, status, summary}`, for comparing a whole run at once. */
export function brief(r: DoctorResult): Pick<StepResult, "id" | "status" | "summary">[] {
    return r.steps.map(({ id, status, summary }) => ({ id, status, summary }));
}

/** One step of a doctor run; throws, listing the steps there are, when it did not run. */
export function step(r: DoctorResult, id: string): StepResult {
    const s = r.steps.find((x) => x.id === id);
    if (!s) throw new Error(`no step ${id} in ${JSON.stringify(brief(r))}`);
    return s;
}
