import { expect } from "chai";
import { imagesToCheck, requireImage, type ImageLookup } from "../../src/nlp/images";

const ACCOUNT = "444455556666";
const OWN = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`;
const VENDOR = "111122223333.dkr.ecr.us-west-2.amazonaws.com";

/** A lookup that records its queries and knows a fixed set of `<repository>:<tag>`. */
function fakeEcr(pushed: string[], error?: string): { lookup: ImageLookup; queries: object[] } {
    const queries: object[] = [];
    const lookup: ImageLookup = async (q) => {
        queries.push(q);
        if (error) throw new Error(error);
        if (!pushed.includes(`${q.repositoryName}:${q.imageTag}`) && !q.imageDigest) {
            throw new Error(
                `Invoke of 'aws:ecr/getImage:getImage' failed: ImageNotFoundException: The image with imageId {imageDigest:'null', imageTag:'${q.imageTag}'} does not exist`,
            );
        }
        return { imageDigest: `sha256:${"b".repeat(64)}` };
    };
    return { lookup, queries };
}

async function rejection(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected a rejection");
}

describe("first-deploy image gate", () => {
    it("checks only ECR images of the stack's own account", () => {
        expect(
            imagesToCheck(
                [`${OWN}/nlp-client:1.0.0`, `${VENDOR}/rake-app:1.0.0`, "docker.io/library/x:1"],
                ACCOUNT,
            ).map((i) => i.ref),
        ).to.deep.equal([`${OWN}/nlp-client:1.0.0`]);
    });

    it("resolves to the reference once the image exists, asking ECR for exactly it", async () => {
        const ecr = fakeEcr(["nlp-client:1.0.0"]);
        expect(
            await requireImage(`${OWN}/nlp-client:1.0.0`, "images.nlpClient", ACCOUNT, ecr.lookup),
        ).to.equal(`${OWN}/nlp-client:1.0.0`);
        expect(ecr.queries).to.deep.equal([
            {
                registryId: ACCOUNT,
                repositoryName: "nlp-client",
                region: "us-west-2",
                imageTag: "1.0.0",
            },
        ]);
    });

    it("names the missing push and what to do next", async () => {
        const ecr = fakeEcr([]);
        const message = await rejection(
            requireImage(`${OWN}/prose-app:1.0.0`, "images.proseApp", ACCOUNT, ecr.lookup),
        );
        expect(message).to.equal(
            `\`images.proseApp\`: ${OWN}/prose-app:1.0.0 has not been pushed yet. Push it (docker push ${OWN}/prose-app:1.0.0, ` +
                `after \`aws ecr get-login-password | docker login --username AWS --password-stdin ${OWN}\`) ` +
                'and run `pulumi up` again: the repository exists now, and the task definition and service are created once every image is there (README, "The NLP service", first deploy).',
        );
    });

    it("passes other errors on (permissions), prefixed with the image", async () => {
        const ecr = fakeEcr(
            [],
            "AccessDeniedException: not authorized to perform ecr:DescribeImages",
        );
        expect(
            await rejection(
                requireImage(`${OWN}/nlp-client:1`, "images.nlpClient", ACCOUNT, ecr.lookup),
            ),
        ).to.equal(
            `\`images.nlpClient\`: reading ${OWN}/nlp-client:1 from ECR failed: AccessDeniedException: not authorized to perform ecr:DescribeImages`,
        );
    });

    it("never asks about another account's image", async () => {
        const ecr = fakeEcr([]);
        expect(
            await requireImage(`${VENDOR}/rake-app:1`, "images.rakeApp", ACCOUNT, ecr.lookup),
        ).to.equal(`${VENDOR}/rake-app:1`);
        expect(ecr.queries).to.deep.equal([]);
    });
});
