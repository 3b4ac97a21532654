package io.github.cdkpullthroughcache.consumers;

import io.github.cdkpullthroughcache.ImageReference;
import io.github.cdkpullthroughcache.PullThroughCache;
import io.github.cdkpullthroughcache.PullThroughCacheDashboard;
import io.github.cdkpullthroughcache.PullThroughCacheSecret;
import io.github.cdkpullthroughcache.PullThroughCacheSecretProps;
import io.github.cdkpullthroughcache.RepositoryTemplateOptions;
import io.github.cdkpullthroughcache.TemplateScope;
import io.github.cdkpullthroughcache.UpstreamDefinition;
import io.github.cdkpullthroughcache.UpstreamRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.cxapi.CloudAssembly;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.constructs.Construct;

/**
 * cdk-pull-through-cache from Java: an example app, built against the jsii-built jar.
 * {@code mvn exec:java} synthesizes to target/cdk.out and prints a summary. Three stacks:
 *
 * <ul>
 *   <li>{@link ReferenceStack} ({@value #STACK_NAME}): the reference use case. Docker Hub and GitHub
 *       Container Registry with credentials (PullThroughCacheSecret.create), registry.k8s.io and Quay
 *       without, one repository creation template for any prefix, a role that may pull, and
 *       {@code cache.imageUri()}.</li>
 *   <li>{@link FargateServiceStack} ({@value #FARGATE_STACK_NAME}): an ECS Fargate service in the same
 *       account and region whose image is {@code cache.containerImage("nginx:1.27")}.</li>
 *   <li>{@link ConsumerAccountStack} ({@value #CONSUMER_STACK_NAME}): another account (444455556666,
 *       eu-central-1) imports a central cache (111122223333, eu-west-1), grants an EC2 node role the
 *       pull, runs {@code cache.containerdNodeScript()} in a launch template and a Fargate task.</li>
 * </ul>
 */
public final class ReferenceApp {
    public static final String STACK_NAME = "PullThroughCacheJava";
    public static final String FARGATE_STACK_NAME = "PullThroughCacheJavaFargate";
    public static final String CONSUMER_STACK_NAME = "PullThroughCacheJavaConsumerAccount";

    /** What {@code cache.imageUri("alpine:3")} maps Alpine to, after the registry domain. */
    public static final String ALPINE_PATH = "/dockercache/library/alpine:3";

    /** Prefix to upstream registry URL, as the reference use case configures them. */
    public static final Map<String, String> EXPECTED_UPSTREAMS = new TreeMap<>(Map.of(
            "dockercache", "registry-1.docker.io",
            "ghcrcache", "ghcr.io",
            "k8scache", "registry.k8s.io",
            "quaycache", "quay.io"));

    /** The reference stack. */
    public static final class ReferenceStack extends Stack {
        private final PullThroughCache cache;
        private final String alpineUri;

        public ReferenceStack(final Construct scope, final String id) {
            this(scope, id, null);
        }

        public ReferenceStack(final Construct scope, final String id, final StackProps props) {
            super(scope, id, props);

            // The secrets hold a placeholder token; put the real one with `aws secretsmanager
            // put-secret-value ... --secret-string "file://$f"` from a 0600 temporary file (docs/registries.md,
            // "Credentials"), never with the token on the command line.
            Secret dockerSecret = PullThroughCacheSecret.create(this, "DockerHubSecret", PullThroughCacheSecretProps.builder()
                    .registryName("dockerio")
                    .username("my-docker-user")
                    .build());
            Secret ghcrSecret = PullThroughCacheSecret.create(this, "GhcrSecret", PullThroughCacheSecretProps.builder()
                    .registryName("ghcr")
                    .username("my-github-user")
                    .build());

            cache = PullThroughCache.Builder.create(this, "Cache")
                    .upstreams(List.of(
                            UpstreamDefinition.builder().registry(UpstreamRegistry.dockerHub())
                                    .prefix("dockercache").credentials(dockerSecret).build(),
                            UpstreamDefinition.builder().registry(UpstreamRegistry.githubContainerRegistry())
                                    .prefix("ghcrcache").credentials(ghcrSecret).build(),
                            UpstreamDefinition.builder().registry(UpstreamRegistry.kubernetes()).prefix("k8scache").build(),
                            UpstreamDefinition.builder().registry(UpstreamRegistry.quay()).prefix("quaycache").build()))
                    .repositoryTemplate(RepositoryTemplateOptions.builder().scope(TemplateScope.ANY_PREFIX).build())
                    .build();

            // A task that pulls images itself (a build runner); ECS pulls a task's own image with the
            // execution role, which containerImage() grants (see FargateServiceStack).
            Role puller = Role.Builder.create(this, "Puller")
                    .assumedBy(new ServicePrincipal("ecs-tasks.amazonaws.com"))
                    .description("May pull images through the ECR pull-through cache")
                    .build();
            cache.grantPull(puller);

            // Pulls and failed upstream syncs per upstream, the account's BatchGetImage rate against its quota.
            PullThroughCacheDashboard.Builder.create(this, "Dashboard").cache(cache).build();

            // The stack is environment-agnostic, so the URI is a token: `${AWS::AccountId}.dkr.ecr.${AWS::Region}...`.
            alpineUri = cache.imageUri("alpine:3");
            CfnOutput.Builder.create(this, "AlpineImageUri")
                    .description("Alpine in the cache")
                    .value(alpineUri)
                    .build();
            CfnOutput.Builder.create(this, "PullExample")
                    .description("Pull Alpine through the cache")
                    .value("docker pull " + alpineUri)
                    .build();
        }

        public PullThroughCache getCache() {
            return cache;
        }

        /** {@code cache.imageUri("alpine:3")}. */
        public String getAlpineUri() {
            return alpineUri;
        }
    }

    private ReferenceApp() {
    }

    /** Builds the app, synthesizing into {@code outdir}. */
    public static App build(final String outdir) {
        App app = new App(AppProps.builder().outdir(outdir).build());
        ReferenceStack reference = new ReferenceStack(app, STACK_NAME);
        new FargateServiceStack(app, FARGATE_STACK_NAME, reference.getCache());
        new ConsumerAccountStack(app, CONSUMER_STACK_NAME);
        return app;
    }

    @SuppressWarnings("unchecked")
    public static void main(final String[] args) {
        String outdir = args.length > 0 ? args[0] : "cdk.out";
        ImageReference ref = ImageReference.parse("alpine:3");
        System.out.printf("ImageReference.parse(\"alpine:3\") -> %s (domain=%s, repository=%s, tag=%s, isDockerHub=%s)%n",
                ref.toString(), ref.getDomain(), ref.getRepository(), ref.getTag(), ref.getIsDockerHub());

        CloudAssembly assembly = build(outdir).synth();
        Map<String, Object> template = (Map<String, Object>) assembly.getStackByName(STACK_NAME).getTemplate();
        Map<String, Map<String, Object>> resources = (Map<String, Map<String, Object>>) template.get("Resources");
        Map<String, Object> rules = new TreeMap<>();
        List<Object> templates = new java.util.ArrayList<>();
        for (Map<String, Object> resource : resources.values()) {
            Map<String, Object> props = (Map<String, Object>) resource.get("Properties");
            if ("AWS::ECR::PullThroughCacheRule".equals(resource.get("Type"))) {
                rules.put((String) props.get("EcrRepositoryPrefix"), props.get("UpstreamRegistryUrl"));
            } else if ("AWS::ECR::RepositoryCreationTemplate".equals(resource.get("Type"))) {
                templates.add(props.get("Prefix"));
            }
        }
        System.out.printf("synthesized %s to %s: %d resources%n", STACK_NAME, assembly.getDirectory(), resources.size());
        rules.forEach((prefix, url) -> System.out.printf("  rule %-12s <- %s%n", prefix, url));
        System.out.printf("  creation templates: %s%n", templates);
        if (!rules.equals(EXPECTED_UPSTREAMS) || !templates.equals(List.of("ROOT"))) {
            System.err.println("unexpected rules or templates");
            System.exit(1);
        }

        for (String name : List.of(FARGATE_STACK_NAME, CONSUMER_STACK_NAME)) {
            Map<String, Object> other = (Map<String, Object>) assembly.getStackByName(name).getTemplate();
            Set<Object> types = new TreeSet<>();
            ((Map<String, Map<String, Object>>) other.get("Resources")).values().forEach(r -> types.add(r.get("Type")));
            System.out.printf("synthesized %s: %s%n", name, types);
        }
    }
}
