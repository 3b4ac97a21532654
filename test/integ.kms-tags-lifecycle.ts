// Integration test of the repository creation templates: one template per upstream
// (TemplateScope.PER_UPSTREAM) with a customer-managed KMS key, resource tags and lifecycle rules,
// so the construct creates the template role ECR assumes (CustomRoleArn). A first pull through the
// cache then creates a repository, which must have the template's settings.
//
// Snapshot check (no AWS account needed; CI):
//   TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=1 \
//     npx integ-runner --directory test --language typescript
//
// Real deployment:
// 1. create the Docker Hub credential secret once, in the test's account and region, with the
//    commands of README "Credentials" (a 0600 temporary file, removed afterwards), the aws command
//    being `aws secretsmanager create-secret --name ecr-pullthroughcache/integ-dockerhub
//    --secret-string "file://$f"`;
// 2. give its complete ARN (with the 6-character suffix): CDK context `dockerSecretArn` when
//    deploying the app with the CDK CLI (`-c dockerSecretArn=arn:...`), or, with integ-runner
//    (which sets the app's context itself), the environment variable INTEG_DOCKER_SECRET_ARN;
// 3. INTEG_DOCKER_SECRET_ARN=arn:... TS_NODE_PROJECT=tsconfig.dev.json \
//      npx integ-runner --directory test --language typescript --force integ.kms-tags-lifecycle.ts
//    (the real ARN changes the snapshot: do not commit that one).
// Without it the placeholder ARN below is used: the committed snapshot is made with it.
//
// The first pull goes through ECR Public (public.ecr.aws/docker/library/alpine), which needs no
// credentials and has no pull rate limit, so the test does not depend on a Docker Hub account's
// quota; Docker Hub's rule is checked with ValidatePullThroughCacheRule instead.
import { AssertionsProvider, AwsApiCall, ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PullThroughCache, TemplateScope, UpstreamRegistry } from '../src';

/**
 * The role of an assertion provider's function as a grantee. The provider exposes the role only
 * as an ARN and takes statements as JSON (`addToRolePolicy`), so what a grant adds is passed on as
 * it is: the function then runs with exactly the statements `grantPull` makes.
 */
class ProviderRoleGrantee extends iam.ArnPrincipal {
  constructor(private readonly provider: AssertionsProvider) {
    super(provider.handlerRoleArn.toString());
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.provider.addToRolePolicy(statement.toStatementJson());
    return { statementAdded: true, policyDependable: this.provider };
  }
}

const PLACEHOLDER_DOCKER_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/integ-dockerhub-AbCdEf';

/** The repository the first pull creates, and the tag it pulls. */
const PULLED_REPOSITORY = 'integecrpublic/docker/library/alpine';
const PULLED_TAG = '3.20';

class KmsTagsLifecycleStack extends Stack {
  public readonly cache: PullThroughCache;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // A secret with a real token must exist for ECR to validate the rule; see the header.
    const dockerSecret = secretsmanager.Secret.fromSecretCompleteArn(this, 'DockerHubSecret',
      this.node.tryGetContext('dockerSecretArn') ?? process.env.INTEG_DOCKER_SECRET_ARN ?? PLACEHOLDER_DOCKER_SECRET_ARN);

    this.key = new kms.Key(this, 'CacheKey', {
      enableKeyRotation: true,
      description: 'Encrypts the repositories of the pull-through cache integration test',
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    this.cache = new PullThroughCache(this, 'Cache', {
      upstreams: [
        { registry: UpstreamRegistry.dockerHub(), prefix: 'integdocker', credentials: dockerSecret },
        { registry: UpstreamRegistry.ecrPublic(), prefix: 'integecrpublic' },
      ],
      repositoryTemplate: {
        scope: TemplateScope.PER_UPSTREAM,
        imageTagMutability: ecr.TagMutability.MUTABLE,
        encryption: ecr.RepositoryEncryption.KMS,
        encryptionKey: this.key,
        resourceTags: { team: 'platform' },
        lifecycleRules: [
          { description: 'keep 20 tagged images', tagPatternList: ['*'], maxImageCount: 20 },
          { description: 'drop anything older than 90 days', maxImageAge: Duration.days(90) },
        ],
        description: 'Integration test of cdk-pull-through-cache',
      },
    });
  }
}

const app = new App();
const stack = new KmsTagsLifecycleStack(app, 'PullThroughCacheIntegKmsTagsLifecycle');
const integ = new IntegTest(app, 'PullThroughCacheKmsTagsLifecycle', {
  testCases: [stack],
});
const assertions = integ.assertions;

// The rules, one call per prefix (the order of a multi-prefix answer is not specified).
assertions
  .awsApiCall('ECR', 'describePullThroughCacheRules', { ecrRepositoryPrefixes: ['integdocker'] })
  .expect(ExpectedResult.objectLike({
    pullThroughCacheRules: [{ ecrRepositoryPrefix: 'integdocker', upstreamRegistryUrl: 'registry-1.docker.io', upstreamRegistry: 'docker-hub' }],
  }));
assertions
  .awsApiCall('ECR', 'describePullThroughCacheRules', { ecrRepositoryPrefixes: ['integecrpublic'] })
  .expect(ExpectedResult.objectLike({
    pullThroughCacheRules: [{ ecrRepositoryPrefix: 'integecrpublic', upstreamRegistryUrl: 'public.ecr.aws', upstreamRegistry: 'ecr-public' }],
  }));

// ECR can log in to Docker Hub with the secret.
assertions
  .awsApiCall('ECR', 'validatePullThroughCacheRule', { ecrRepositoryPrefix: 'integdocker' })
  .expect(ExpectedResult.objectLike({ ecrRepositoryPrefix: 'integdocker', isValid: true }));

// One template per upstream, with the key and the role the construct created.
for (const prefix of ['integdocker', 'integecrpublic']) {
  assertions
    .awsApiCall('ECR', 'describeRepositoryCreationTemplates', { prefixes: [prefix] })
    .expect(ExpectedResult.objectLike({
      repositoryCreationTemplates: [{
        prefix,
        appliedFor: ['PULL_THROUGH_CACHE'],
        imageTagMutability: 'MUTABLE',
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: stack.key.keyArn },
        customRoleArn: stack.cache.templateRole!.roleArn,
      }],
    }));
}

// The first pull: BatchGetImage on a repository that does not exist yet makes ECR import the
// image from upstream and create the repository from the template, tagging it with the
// template's tags as the caller. The caller gets exactly what grantPull gives, ecr:TagResource
// only with the template's tags included, so a deploy of this test is what would show ECR's
// tag-on-create meets those conditions. That real-deploy proof is pending: nobody has deployed
// this test yet (no AWS account in CI); the committed snapshot shows only what it would deploy.
const repositoryArn = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: PULLED_REPOSITORY });
const firstPull = assertions.awsApiCall('ECR', 'batchGetImage', {
  repositoryName: PULLED_REPOSITORY,
  imageIds: [{ imageTag: PULLED_TAG }],
}) as AwsApiCall;
firstPull.expect(ExpectedResult.objectLike({
  images: [{ repositoryName: PULLED_REPOSITORY, imageId: { imageTag: PULLED_TAG } }],
})).waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(15) });
// With waitForAssertions, the call is made by the waiter's function: grant its role the pull.
stack.cache.grantPull(new ProviderRoleGrantee(firstPull.waiterProvider!));
const repository = assertions
  .awsApiCall('ECR', 'describeRepositories', { repositoryNames: [PULLED_REPOSITORY] })
  .expect(ExpectedResult.objectLike({
    repositories: [{
      repositoryName: PULLED_REPOSITORY,
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: stack.key.keyArn },
    }],
  }));

const lifecyclePolicy = assertions
  .awsApiCall('ECR', 'getLifecyclePolicy', { repositoryName: PULLED_REPOSITORY })
  .expect(ExpectedResult.objectLike({
    repositoryName: PULLED_REPOSITORY,
    lifecyclePolicyText: Match.serializedJson({
      rules: [
        Match.objectLike({
          rulePriority: 1,
          description: 'keep 20 tagged images',
          selection: Match.objectLike({ tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 20 }),
        }),
        Match.objectLike({
          rulePriority: 2,
          description: 'drop anything older than 90 days',
          selection: Match.objectLike({ tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 90, countUnit: 'days' }),
        }),
      ],
    }),
  }));

// One tag, so the answer's order does not matter (two identical calls would be one construct).
const tags = assertions
  .awsApiCall('ECR', 'listTagsForResource', { resourceArn: repositoryArn })
  .expect(ExpectedResult.objectLike({ tags: [{ Key: 'team', Value: 'platform' }] }));

// The repository was created by ECR, not by CloudFormation: delete it so the test leaves nothing
// behind (and nothing encrypted with the key, which is deleted with the stack).
const cleanup = assertions.awsApiCall('ECR', 'deleteRepository', { repositoryName: PULLED_REPOSITORY, force: true });

firstPull.next(repository).next(lifecyclePolicy).next(tags).next(cleanup);

app.synth();
