/**
 * The first-deploy gate: before the task definition is registered, each image
 * in the stack's own registry is read from ECR, so a missing push stops
 * `pulumi up` with a message that names it, instead of a service whose tasks
 * fail to pull while `up` reports success.
 */
import { parseEcrImage, type EcrImage } from "../ecs/iam";

/** Reads one image's metadata (`aws.ecr.getImage` in the program, a fake in tests). */
export type ImageLookup = (query: {
    registryId: string;
    repositoryName: string;
    region: string;
    imageTag?: string;
    imageDigest?: string;
}) => Promise<{ imageDigest: string }>;

/** Error codes ECR answers for a repository or image that is not there. */
const MISSING = /ImageNotFoundException|RepositoryNotFoundException|does not exist/;

/**
 * Which images the gate reads: ECR images in `accountId`'s own registry. An
 * image in another account's registry (the vendor's replica) is not read:
 * its repository policy grants this account pull only, and reading metadata
 * needs `ecr:DescribeImages`.
 */
export function imagesToCheck(refs: string[], accountId: string): (EcrImage & { ref: string })[] {
    return refs
        .map((ref) => ({ ref, img: parseEcrImage(ref) }))
        .filter(({ img }) => img !== undefined && img.registryId === accountId)
        .map(({ ref, img }) => ({ ref, ...img! }));
}

/** The message for a missing image: what to push, and that `pulumi up` picks up from there. */
export function missingImageMessage(ref: string, key: string): string {
    const repo = ref.replace(/[:@][^/]*$/, "");
    return (
        `\`${key}\`: ${ref} has not been pushed yet. Push it (docker push ${ref}, ` +
        `after \`aws ecr get-login-password | docker login --username AWS --password-stdin ${repo.split("/")[0]}\`) ` +
        `and run \`pulumi up\` again: the repository exists now, and the task definition and service ` +
        `are created once every image is there (README, "The NLP service", first deploy).`
    );
}

/**
 * Resolves to `ref` once the image exists; rejects with missingImageMessage
 * when ECR says it is not there, and with the lookup's own error (prefixed
 * with the image) for anything else, e.g. missing permissions.
 */
export async function requireImage(
    ref: string,
    key: string,
    accountId: string,
    lookup: ImageLookup,
): Promise<string> {
    const [img] = imagesToCheck([ref], accountId);
    if (!img) return ref;
    try {
        await lookup({
            registryId: img.registryId,
            repositoryName: img.repositoryName,
            region: img.region,
            ...(img.digest ? { imageDigest: img.digest } : { imageTag: img.tag }),
        });
    } catch (e) {
        const text = e instanceof Error ? e.message : String(e);
        if (MISSING.test(text)) throw new Error(missingImageMessage(ref, key));
        throw new Error(`\`${key}\`: reading ${ref} from ECR failed: ${text}`);
    }
    return ref;
}
