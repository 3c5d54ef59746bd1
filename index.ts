import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DeveloperAccess } from "./components/developerAccess";
import { EcrPrivateDns } from "./components/ecrPrivateDns";
import { NlpService } from "./components/nlpService";
import { PrivateNetwork } from "./components/privateNetwork";
import { RegistryEndpoints } from "./components/registryEndpoints";
import { RegistryReplication } from "./components/registryReplication";
import { registryContract, SharedRepository } from "./components/sharedRepository";
import { SimulatedIdc } from "./components/simulatedIdc";
import { loadConfig } from "./src/config";
import { repositoryResourceName } from "./src/ecr/policies";
import { vendorImage } from "./src/nlp/vendor";
import { availabilityZones } from "./src/regions";

// Config is read and validated once, here: a bad value stops the program
// before any resource is registered. Components never read config.
const { cfg, nlpApiKey } = loadConfig();

// Deploying with credentials for another account fails here, not half-way.
const accountId = aws.getCallerIdentityOutput().accountId.apply((id) => {
    if (id !== cfg.accountId) {
        throw new Error(
            `ecr-private-access:accountId is ${cfg.accountId}, but the credentials are for account ${id}`,
        );
    }
    return id;
});

const network =
    cfg.network &&
    new PrivateNetwork("network", {
        cidr: cfg.network.cidr,
        availabilityZones: availabilityZones(cfg.region).slice(0, cfg.network.azCount),
        subnetPrefixLength: cfg.network.subnetPrefixLength,
        publicSubnets: cfg.network.publicSubnets,
    });

// The vendor's registry, from the vendor stack's outputs, when this stack runs its image.
const vendor = cfg.nlp && new pulumi.StackReference(cfg.nlp.vendorStack);
const vendorRake = cfg.nlp && vendor && vendorImage(vendor, cfg.nlp, cfg.region);

const endpoints =
    cfg.endpoints &&
    network &&
    new RegistryEndpoints("endpoints", {
        vpcId: network.vpcId,
        vpcCidr: network.cidr,
        region: cfg.region,
        privateSubnetIds: network.privateSubnetIds,
        privateRouteTableIds: network.privateRouteTableIds,
        interfaceServices: cfg.endpoints.interfaceServices,
        placement: cfg.endpoints.placement,
        allowedCidrs: cfg.endpoints.onPremisesCidrs,
        allowWorldIngress: cfg.endpoints.allowWorldIngress,
        // The vendor's registry must be reachable through the endpoints, or its image can't be pulled.
        registryAccounts: [
            ...cfg.endpoints.registryAccounts,
            ...(vendorRake ? [vendorRake.registryId] : []),
        ],
        accountId,
        allowPush: cfg.endpoints.allowPush,
        principalOrgId: cfg.endpoints.principalOrgId,
        allowAnyPrincipal: cfg.endpoints.allowAnyPrincipal,
        s3AdditionalResources: cfg.endpoints.s3AdditionalResources,
        s3Interface: cfg.endpoints.s3Interface,
    });

const repos = (cfg.repositories?.names ?? []).map(
    (name) =>
        new SharedRepository(`repo-${repositoryResourceName(name)}`, {
            name,
            accountId: cfg.accountId,
            region: cfg.region,
            consumers: cfg.repositories!.consumers,
            codeBuild: cfg.repositories!.codeBuild,
            lifecycle: cfg.repositories!.lifecycle,
            kmsKeyArn: cfg.repositories!.kmsKeyArn,
            replicationRegions: cfg.repositories!.replicationRegions,
            retainOnDelete: cfg.repositories!.retainOnDelete,
            protect: cfg.repositories!.protect,
        }),
);
if (repos.some((r) => r.replicationRegions.length > 0)) {
    new RegistryReplication("replication", { repositories: repos });
}

const developers =
    cfg.developers &&
    new DeveloperAccess("developers", {
        repositoryArns: repos.map((r) => r.arn),
        replicaRepositoryArns: repos.flatMap((r) => r.replicaArns),
        groupName: cfg.developers.groupName,
        users: cfg.developers.users,
    });

const repoUrl = (name: string) => repos.find((r) => r.name === name)!.url;
const nlp =
    cfg.nlp &&
    network &&
    vendorRake &&
    new NlpService("nlp", {
        vpcId: network.vpcId,
        privateSubnetIds: network.privateSubnetIds,
        publicSubnetIds: network.publicSubnetIds,
        endpointSecurityGroupId: endpoints?.securityGroupId,
        s3PrefixListId: endpoints?.s3PrefixListId,
        images: {
            nlpClient: pulumi.interpolate`${repoUrl(cfg.nlp.clientRepository)}:${cfg.nlp.imageTags.nlpClient}`,
            rakeApp: pulumi.interpolate`${vendorRake.url}:${cfg.nlp.imageTags.rakeApp}`,
            proseApp: pulumi.interpolate`${repoUrl(cfg.nlp.proseRepository)}:${cfg.nlp.imageTags.proseApp}`,
        },
        desiredCount: cfg.nlp.desiredCount,
        cpu: cfg.nlp.cpu,
        memory: cfg.nlp.memory,
        certificateArn: cfg.nlp.certificateArn,
        logRetentionDays: cfg.nlp.logRetentionDays,
        publicTasks: cfg.nlp.publicTasks,
        portFormat: cfg.nlp.portFormat,
        containerInsights: cfg.nlp.containerInsights,
        apiKey: nlpApiKey,
    });

const idc =
    cfg.idc &&
    network &&
    new SimulatedIdc("idc", {
        region: cfg.idc.region,
        cidr: cfg.idc.cidr,
        instanceType: cfg.idc.instanceType,
        cloud: {
            vpcId: network.vpcId,
            cidr: network.cidr,
            region: cfg.region,
            privateRouteTableIds: network.privateRouteTableIds,
        },
        repositoryArns: repos.map((r) => r.arn),
        pushRepositoryArn: repos[0]?.arn,
        dnsLayout: cfg.dns?.layout,
    });

const dns =
    cfg.dns &&
    endpoints &&
    network &&
    new EcrPrivateDns("ecr-dns", {
        region: cfg.region,
        apiDnsName: endpoints.apiDnsName,
        apiHostedZoneId: endpoints.apiHostedZoneId,
        dkrDnsName: endpoints.dkrDnsName,
        dkrHostedZoneId: endpoints.dkrHostedZoneId,
        // Layer downloads for the associated VPCs and on-premises (pulls), when built.
        s3InterfaceDnsName: endpoints.s3InterfaceDnsName,
        s3InterfaceHostedZoneId: endpoints.s3InterfaceHostedZoneId,
        layout: cfg.dns.layout,
        ttl: cfg.dns.ttl,
        associations: idc ? [{ vpcId: idc.vpcId, vpcRegion: idc.region }] : [],
        endpointVpcId: network.vpcId,
        resolver: cfg.dns.resolverEndpoint
            ? {
                  vpcId: network.vpcId,
                  subnetIds: network.privateSubnetIds.slice(0, 2),
                  allowedCidrs: cfg.endpoints!.onPremisesCidrs,
              }
            : undefined,
    });

// Stack outputs. Only what a stack builds is exported (no undefined outputs).
const contract = repos.length > 0 ? registryContract(repos) : undefined;
export = prune({
    accountId,
    region: cfg.region,
    // The vendor -> customer contract (see README, "Sharing images across accounts").
    registryId: contract?.registryId,
    repositories: contract?.repositories,
    developerGroupName: developers?.groupName,
    developerUserNames: developers?.userNames,
    vpcId: network?.vpcId,
    privateSubnetIds: network?.privateSubnetIds,
    endpointIds: endpoints?.endpointIds,
    endpointSecurityGroupId: endpoints?.securityGroupId,
    s3PrefixListId: endpoints?.s3PrefixListId,
    ecrApiDnsName: endpoints?.apiDnsName,
    ecrDkrDnsName: endpoints?.dkrDnsName,
    // What the data centre's DNS admins apply (the plan renders it under out/<stack>/onprem-dns/).
    onPremDns:
        dns &&
        pulumi.output({
            region: cfg.region,
            records: dns.onPremRecords,
            resolverIps: dns.resolverIps,
        }),
    dnsZoneIds: dns?.zoneIds,
    serviceUrl: nlp?.url,
    clusterName: nlp?.clusterName,
    serviceName: nlp?.serviceName,
    logGroupName: nlp?.logGroupName,
    apiKeySecretArn: nlp?.apiKeySecretArn,
    vendorImage: vendorRake?.url,
    idcHostInstanceId: idc?.hostInstanceId,
    idcConnectCommand: idc?.connectCommand,
    idcPushCommands: idc?.pushCommands,
    idcDoctorCommand: idc?.doctorCommand,
});

function prune<T extends Record<string, unknown>>(outputs: T): Partial<T> {
    return Object.fromEntries(
        Object.entries(outputs).filter(([, v]) => v !== undefined),
    ) as Partial<T>;
}
