// Integration test of the reference use case (README, examples/reference-stack.ts): Docker Hub and
// GitHub Container Registry with credentials, registry.k8s.io and Quay without, one ROOT
// repository creation template, and a role that may pull through the cache.
//
// Snapshot check (no AWS account needed; CI):
//   TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=1 \
//     npx integ-runner --directory test --language typescript
//
// Real deployment (an account whose registry has no ROOT repository creation template yet: the
// cache creates the registry's only ROOT template):
// 1. create the two credential secrets once, in the test's account and region, with the real
//    user names and access tokens (ECR needs the names to start with `ecr-pullthroughcache/` and
//    the AWS managed key), each from a 0600 file holding {"username":…,"accessToken":…} written
//    as README "Credentials" shows (a GitHub classic PAT with read:packages for GHCR):
//      aws secretsmanager create-secret --name ecr-pullthroughcache/integ-dockerhub \
//        --secret-string file://dockerhub.json
//      aws secretsmanager create-secret --name ecr-pullthroughcache/integ-ghcr \
//        --secret-string file://ghcr.json
// 2. give their complete ARNs (with the 6-character suffix): CDK context `dockerSecretArn` and
//    `ghcrSecretArn` when deploying the app with the CDK CLI (`-c dockerSecretArn=arn:...`), or,
//    with integ-runner (which sets the app's context itself), the environment variables
//    INTEG_DOCKER_SECRET_ARN and INTEG_GHCR_SECRET_ARN;
// 3. INTEG_DOCKER_SECRET_ARN=arn:... INTEG_GHCR_SECRET_ARN=arn:... \
//      TS_NODE_PROJECT=tsconfig.dev.json npx integ-runner --directory test --language typescript \
//      --force integ.pull-through-cache.ts
//    (the real ARNs change the snapshot: do not commit that one).
// Without them the placeholder ARNs below are used: the committed snapshot is made with them.
import { IntegTest, ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PullThroughCache, TemplateScope, UpstreamRegistry } from '../src';

const PLACEHOLDER_DOCKER_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/integ-dockerhub-AbCdEf';
const PLACEHOLDER_GHCR_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/integ-ghcr-AbCdEf';

/**
 * The complete ARN of a secret that exists: CDK context `contextKey` (`cdk deploy -c key=arn`), else
 * the environment variable `envVar` (integ-runner passes the environment to the app, but sets the
 * context itself), else a placeholder (what the committed snapshot is made with).
 */
function secretArn(scope: Construct, contextKey: string, envVar: string, placeholder: string): string {
  return scope.node.tryGetContext(contextKey) ?? process.env[envVar] ?? placeholder;
}

class ReferenceUseCaseStack extends Stack {
  public readonly cache: PullThroughCache;
  public readonly dockerSecret: secretsmanager.ISecret;
  public readonly ghcrSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Secrets with real tokens must exist for ECR to validate and use the rules: they are
    // imported by complete ARN (see the header), never created with a placeholder token here.
    this.dockerSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'DockerHubSecret',
      secretArn(this, 'dockerSecretArn', 'INTEG_DOCKER_SECRET_ARN', PLACEHOLDER_DOCKER_SECRET_ARN));
    this.ghcrSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'GhcrSecret',
      secretArn(this, 'ghcrSecretArn', 'INTEG_GHCR_SECRET_ARN', PLACEHOLDER_GHCR_SECRET_ARN));

    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), prefix: 'dockercache', credentials: this.dockerSecret },
        { registry: UpstreamRegistry.githubContainerRegistry(), prefix: 'ghcrcache', credentials: this.ghcrSecret },
        { registry: UpstreamRegistry.kubernetes(), prefix: 'k8scache' },
        { registry: UpstreamRegistry.quay(), prefix: 'quaycache' },
      ],
      repositoryTemplate: { scope: TemplateScope.ANY_PREFIX },
    });

    const puller = new iam.Role(this, 'Puller', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    this.cache.grantPull(puller);
  }
}

const app = new App();
const stack = new ReferenceUseCaseStack(app, 'PullThroughCacheIntegReference');
const integ = new IntegTest(app, 'PullThroughCacheReference', {
  testCases: [stack],
});

// Every rule exists with the upstream and credentials the template gave it.
const expectedRules = [
  { ecrRepositoryPrefix: 'dockercache', upstreamRegistryUrl: 'registry-1.docker.io', upstreamRegistry: 'docker-hub', credentialArn: stack.dockerSecret.secretArn },
  { ecrRepositoryPrefix: 'ghcrcache', upstreamRegistryUrl: 'ghcr.io', upstreamRegistry: 'github-container-registry', credentialArn: stack.ghcrSecret.secretArn },
  { ecrRepositoryPrefix: 'k8scache', upstreamRegistryUrl: 'registry.k8s.io', upstreamRegistry: 'k8s' },
  { ecrRepositoryPrefix: 'quaycache', upstreamRegistryUrl: 'quay.io', upstreamRegistry: 'quay' },
];
for (const rule of expectedRules) {
  integ.assertions
    .awsApiCall('ECR', 'describePullThroughCacheRules', { ecrRepositoryPrefixes: [rule.ecrRepositoryPrefix] })
    .expect(ExpectedResult.objectLike({ pullThroughCacheRules: [rule] }));
}

// ECR can log in to each credentialed upstream with its secret.
for (const prefix of ['dockercache', 'ghcrcache']) {
  integ.assertions
    .awsApiCall('ECR', 'validatePullThroughCacheRule', { ecrRepositoryPrefix: prefix })
    .expect(ExpectedResult.objectLike({ ecrRepositoryPrefix: prefix, isValid: true }));
}

// The single ROOT template, applied for pull-through cache: mutable tags, AES-256.
integ.assertions
  .awsApiCall('ECR', 'describeRepositoryCreationTemplates', { prefixes: ['ROOT'] })
  .expect(ExpectedResult.objectLike({
    repositoryCreationTemplates: [{
      prefix: 'ROOT',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
    }],
  }));

app.synth();
