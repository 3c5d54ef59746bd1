import type * as awsxTypes from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { ImagesConfig } from "../src/config";
import { repositoryResourceName } from "../src/ecr/policies";
import { buildTag, contextDigest } from "../src/images/context";
import * as path from "path";
import type { SharedRepository } from "./sharedRepository";

/** An image the stack builds and pushes into one of its repositories. */
export interface BuiltImage {
    /** The repository it is pushed to. */
    repository: string;
    /** The immutable tag it is pushed with, `build-<context digest prefix>`. */
    tag: string;
    /** `<repository URL>@sha256:<digest>`: what task definitions and outputs use. */
    uri: pulumi.Output<string>;
}

/**
 * Builds each configured image with Docker and pushes it into the stack's own
 * repository during `pulumi up`, with `awsx.ecr.Image`. awsx is used for this
 * only: an image has nothing inside that a policy must inspect, while awsx's
 * networks and services would be one opaque resource to the offline plan.
 *
 * The tag comes from the build context's content, so the same context never
 * pushes twice and a changed Dockerfile pushes a new immutable tag. Contexts
 * are relative to `projectDir` (where Pulumi.yaml is, the CLI's working
 * directory), so plans do not carry a machine's absolute paths.
 */
export function buildImages(
    images: ImagesConfig,
    repositories: SharedRepository[],
    projectDir: string,
): Record<string, BuiltImage> {
    // Loaded only by stacks that build images: the other stacks do not pay for it.
    const awsx = require("@pulumi/awsx") as typeof awsxTypes;
    const built: Record<string, BuiltImage> = {};
    for (const [name, image] of Object.entries(images)) {
        const repository = repositories.find((r) => r.name === name);
        if (!repository) throw new Error(`images.${name}: no repository of that name`);
        const tag = buildTag(
            contextDigest({ ...image, context: path.resolve(projectDir, image.context) }),
        );
        const pushed = new awsx.ecr.Image(
            `image-${repositoryResourceName(name)}`,
            {
                repositoryUrl: repository.url,
                context: image.context,
                dockerfile: path.posix.join(image.context, image.dockerfile),
                platform: image.platform,
                args: image.args,
                imageTag: tag,
            },
            // Pushed once the repository's lifecycle and policies exist.
            { dependsOn: [repository] },
        );
        built[name] = { repository: name, tag, uri: pushed.imageUri };
    }
    return built;
}
