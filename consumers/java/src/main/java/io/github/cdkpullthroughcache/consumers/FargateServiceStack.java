package io.github.cdkpullthroughcache.consumers;

import io.github.cdkpullthroughcache.IPullThroughCache;
import java.util.List;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.PortMapping;
import software.constructs.Construct;

/**
 * An ECS Fargate service whose image is pulled through a cache of the same account and region:
 * {@code cache.containerImage("nginx:1.27")}.
 */
public final class FargateServiceStack extends Stack {
    private final FargateTaskDefinition taskDefinition;
    private final FargateService service;

    public FargateServiceStack(final Construct scope, final String id, final IPullThroughCache cache) {
        this(scope, id, cache, null);
    }

    public FargateServiceStack(final Construct scope, final String id, final IPullThroughCache cache, final StackProps props) {
        super(scope, id, props);

        // Public subnets only: the tasks reach ECR through the internet gateway, no NAT gateway to pay for.
        Vpc vpc = Vpc.Builder.create(this, "Vpc")
                .maxAzs(2)
                .natGateways(0)
                .subnetConfiguration(List.of(SubnetConfiguration.builder()
                        .name("public")
                        .subnetType(SubnetType.PUBLIC)
                        .build()))
                .build();
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc).build();

        taskDefinition = FargateTaskDefinition.Builder.create(this, "Task")
                .cpu(256)
                .memoryLimitMiB(512)
                .build();
        // nginx:1.27 is docker.io/library/nginx:1.27, pulled as <registry>/dockercache/library/nginx:1.27.
        // Binding the image grants the execution role the pull through that upstream, first pull included.
        taskDefinition.addContainer("web", ContainerDefinitionOptions.builder()
                .image(cache.containerImage("nginx:1.27"))
                .portMappings(List.of(PortMapping.builder().containerPort(80).build()))
                .build());
        service = FargateService.Builder.create(this, "Service")
                .cluster(cluster)
                .taskDefinition(taskDefinition)
                .desiredCount(1)
                .assignPublicIp(true)
                // Start the new task before stopping the old one, and roll back a deployment whose tasks fail.
                .minHealthyPercent(100)
                .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
                .build();
    }

    public FargateTaskDefinition getTaskDefinition() {
        return taskDefinition;
    }

    public FargateService getService() {
        return service;
    }
}
