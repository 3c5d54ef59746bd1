import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Plan } from "../../src/report/plan";
import { planStack, stackFiles } from "../../tools/plan";

const ROOT = path.resolve(__dirname, "../..");

/**
 * Every shipped stack (Pulumi.<stack>.yaml in the repository), planned
 * offline in `stackFiles` order, producers first, each stack's outputs fed to
 * the stacks that reference it, as `npm start` does. By stack name.
 */
export async function planShippedStacks(): Promise<Record<string, Plan>> {
    const plans: Record<string, Plan> = {};
    const outputs: Record<string, Record<string, unknown>> = {};
    for (const file of stackFiles(ROOT)) {
        const plan = await planStack({ stackFile: file, stackOutputs: outputs });
        outputs[plan.stack] = plan.outputs;
        plans[plan.stack] = plan;
    }
    return plans;
}

/**
 * Plans a stack file written for the test (`Pulumi.<stack>.yaml` with
 * `config`, in a temporary directory removed afterwards) with this
 * repository as the project.
 */
export async function planStackConfig(
    stack: string,
    config: Record<string, unknown>,
): Promise<Plan> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `plan-${stack}-`));
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ config }));
    try {
        return await planStack({ stackFile: file, projectDir: ROOT });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
