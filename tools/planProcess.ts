import * as pulumi from "@pulumi/pulumi";
import * as v8 from "v8";

/**
 * The offline plan's process settings, applied once by the plan harness
 * (tools/runStack.ts), never by the program: under `pulumi up` the SDK and
 * node stay as they are. A vendor stack of 4,000 repositories registers
 * 16,000 resources; the Pulumi SDK keeps about 50 KB of promises per resource
 * until its registration completes, and the program constructs every resource
 * before the first one registers, so the plan's memory peaks at the SDK's
 * bookkeeping for the whole stack.
 *
 * 1. `debuggablePromise` (@pulumi/pulumi 3.248 runtime/debuggable.js) wraps
 *    four promises per output property of every resource (about 60 per
 *    repository). For each it formats `new Error().stack` and defines three
 *    debug properties, read only to print leaks when `PULUMI_DEBUG_PROMISE_LEAKS`
 *    is set: a quarter of the plan's CPU time at 2,000 repositories, and the
 *    texts stay in memory for the whole run. The replacement below keeps what
 *    the SDK relies on: the leak-candidate set (`leakedPromises` and the exit
 *    hook that fails a run with leaked promises) and the same promise chain
 *    (`.then` then `.catch`, so promises settle on the same ticks and
 *    resources register in the same order). With that variable set, the SDK's
 *    own function stays.
 * 2. `Resource.callsites` (resource.js) parses a full stack trace for every
 *    resource: the source position `pulumi up` shows in diagnostics. The mock
 *    monitor drops it and plan.json has no place for it.
 * 3. V8 lets the heap grow up to 4x what survived the last full collection
 *    when it collects quickly: at 4,000 repositories the garbage of
 *    registering 16,000 resources took the process to 1.8 GB RSS for about
 *    0.8 GB of live data. `--heap-growing-percent` caps each step (set at
 *    run time: V8 reads it at every full collection). Measured on the bench's
 *    series: 30% keeps peak RSS near 1.25 GB with CPU time within the noise
 *    of 50% (1.2-1.45 GB, depending on when a collection lands) and of V8's
 *    default (1.8 GB, with 20-30% less CPU time at 4,000 repositories).
 */

/** Heap growth per full collection, percent (V8's `--heap-growing-percent`). */
export const HEAP_GROWING_PERCENT = 30;

let applied = false;

export function tunePlanProcess(): void {
    if (applied) return;
    applied = true;
    v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];
    if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) leanDebuggablePromise();
}

interface LeakStore {
    leakCandidates: Set<Promise<unknown>>;
}

function leanDebuggablePromise(): void {
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
        debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
    };
    const state = require("@pulumi/pulumi/runtime/state") as { getStore(): LeakStore };
    const original = debuggable.debuggablePromise;
    let hookScheduled = false;
    // The SDK's modules call it as `debuggable_1.debuggablePromise(...)`: replacing
    // the export reaches every caller.
    debuggable.debuggablePromise = function debuggablePromise<T>(
        p: Promise<T>,
        ctx: unknown,
    ): Promise<T> {
        if (!hookScheduled) {
            // The first call goes to the SDK, which installs its exit-time leak check.
            hookScheduled = true;
            return original(p, ctx);
        }
        // As the SDK does: the store is read now, its current set at settlement
        // (`leakedPromises()` swaps in a new set).
        const store = state.getStore();
        store.leakCandidates.add(p);
        return p
            .then((val) => {
                store.leakCandidates.delete(p);
                return val;
            })
            .catch((err) => {
                store.leakCandidates.delete(p);
                err.promise = p;
                throw err;
            });
    };
}
