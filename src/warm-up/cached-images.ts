import * as path from 'path';
import { CustomResource, Duration, Lazy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { api, fieldProblem, throwIfInvalid, warn } from '../core/private/diagnostics';
import { IPullThroughCache } from '../core/pull-through-cache-base';
import { cachedImage } from '../images/private/image-uri';
import { isLambdaReadable, LAMBDA_IMAGES_DOC, markWarmFunction } from '../images/private/lambda-images';
import { PullThroughCache } from '../registry/pull-through-cache';

/**
 * Properties of `CachedImages`.
 */
export interface CachedImagesProps {
  /**
   * The pull-through cache to warm: owned or imported, of this stack's account and region.
   */
  readonly cache: IPullThroughCache;

  /**
   * The images to pull through the cache at deploy, by tag, in the forms `cache.imageUri()`
   * takes (`alpine:3`, `ghcr.io/org/app:1.2`); at most 30.
   */
  readonly images: string[];

  /**
   * The platforms (`os/arch[/variant]`, e.g. `linux/arm64`) pulled of an image index.
   *
   * @default - every manifest the index lists
   */
  readonly platforms?: string[];

  /**
   * Whether an image that cannot be pulled fails the deployment.
   *
   * With `false`, the deployment goes on and `failures` lists the images that failed.
   *
   * @default true
   */
  readonly failOnError?: boolean;

  /**
   * How long one registry request may go without an answer before it is retried.
   *
   * @default Duration.seconds(60)
   */
  readonly requestTimeout?: Duration;

  /**
   * Retries of a request answered 429 or 5xx, or not answered in time, with exponential backoff
   * from 1 second.
   *
   * @default 4
   */
  readonly retries?: number;
}

/** The CloudFormation response of a custom resource is at most 4 KB: a digest takes about 85 bytes. */
const MAX_IMAGES = 30;
/** `"Digest29":"sha256:<64 hex>",` and `"Digest29.linux.arm64":"sha256:<64 hex>",` in the answer. */
const DIGEST_ATTRIBUTE_BYTES = 85;
const PLATFORM_ATTRIBUTE_BYTES = 100;
/** Of the handler's 3400-byte budget, what digests may take; failures get the rest. */
const MAX_DIGEST_BYTES = 3000;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
const HANDLER_ID = 'CachedImagesHandler9f3c';
const PROVIDER_ID = 'CachedImagesProvider9f3c';

/** One image: the reference given, and where it is in the cache. */
interface Planned {
  readonly reference: string;
  readonly repository: string;
  readonly tag: string;
  readonly prefix: string;
  readonly requiredPlatforms: Set<string>;
}

/**
 * Pulls images through a pull-through cache at deploy, the way a container runtime does, so
 * that they are in ECR before anything needs them; gives their digests, ECS images and Lambda
 * code pinned to them.
 *
 * @example
 * import * as lambda from 'aws-cdk-lib/aws-lambda';
 * import * as ptc from 'cdk-pull-through-cache';
 *
 * declare const cache: ptc.PullThroughCache;
 *
 * const images = new ptc.CachedImages(this, 'Images', { cache, images: ['public.ecr.aws/lambda/nodejs:22'] });
 * new lambda.DockerImageFunction(this, 'Fn', { code: images.dockerImageCode('public.ecr.aws/lambda/nodejs:22') });
 *
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/warm-up.md
 */
export class CachedImages extends Construct {
  /**
   * The images that could not be pulled, one error a line (empty when all were): only with
   * `failOnError: false`, which otherwise fails the deployment.
   */
  public readonly failures: string;

  /** The custom resource that pulls the images: everything that uses a digest depends on it. */
  public readonly resource: CustomResource;

  private readonly cache: IPullThroughCache;
  private readonly planned: Planned[];

  constructor(scope: Construct, id: string, props: CachedImagesProps) {
    super(scope, id);
    const where = `CachedImages at '${this.node.path}'`;
    const problems: string[] = [];
    const stack = Stack.of(this);
    const cache = props.cache;
    for (const [field, ours, theirs] of [['account', stack.account, cache.env.account], ['region', stack.region, cache.env.region]]) {
      if (Token.compareStrings(ours, theirs) === TokenComparison.DIFFERENT) {
        problems.push(`cache: the cache at '${cache.node.path}' is in ${field} '${theirs}', this stack in '${ours}'; `
          + 'CachedImages pulls with a token of its own account and region only: create the CachedImages in a stack of the cache\'s account and region');
      }
    }
    if (props.images.length === 0 || props.images.length > MAX_IMAGES) {
      problems.push(`images: ${props.images.length} images; give 1 to ${MAX_IMAGES} (CloudFormation takes at most 4 KB of a custom resource's answer): split larger lists across several CachedImages`);
    }
    const planned: Planned[] = [];
    props.images.forEach((reference, i) => {
      if (Token.isUnresolved(reference)) {
        problems.push(`images[${i}]: '${reference}' is a token; give a literal reference such as 'alpine:3'`);
        return;
      }
      if (props.images.indexOf(reference) !== i) {
        problems.push(`images[${i}]: '${reference}' is given twice`);
        return;
      }
      try {
        const image = cachedImage(cache, reference);
        if (image.reference.digest !== undefined) {
          problems.push(`images[${i}]: '${reference}' is pinned by digest; ECR does not fill the cache on a first pull by digest `
            + '(aws/containers-roadmap#2837): give the tag, and use ' + `${api('digestOf')}() to pin what the tag points to`);
          return;
        }
        const prefix = `${cache.registryDomain}/`;
        const repository = image.uri.slice(prefix.length, image.uri.length - image.reference.suffix.length);
        planned.push({ reference, repository, tag: image.reference.tag ?? 'latest', prefix: image.upstream.prefix, requiredPlatforms: new Set() });
      } catch (e) {
        problems.push(`images[${i}]: ${(e as Error).message}`);
      }
    });
    (props.platforms ?? []).forEach((platform, i) => {
      if (!Token.isUnresolved(platform) && !PLATFORM.test(platform)) {
        problems.push(`platforms[${i}]: '${platform}' is not os/arch[/variant], e.g. 'linux/amd64', 'linux/arm64', 'linux/arm/v7'`);
      }
    });
    const retries = props.retries ?? 4;
    if (!Token.isUnresolved(retries) && (!Number.isInteger(retries) || retries < 0 || retries > 10)) {
      problems.push(`retries: ${retries}; give an integer from 0 to 10`);
    }
    const timeout = (props.requestTimeout ?? Duration.seconds(60)).toSeconds();
    if (!Token.isUnresolved(timeout) && (timeout < 1 || timeout > 600)) {
      problems.push(fieldProblem('requestTimeout', `${timeout} seconds; give 1 to 600 seconds`));
    }
    throwIfInvalid(where, problems);

    this.cache = cache;
    this.planned = planned;
    const provider = singletonProvider(stack);
    // Only the pull actions on the prefixes of the images given, and GetAuthorizationToken.
    for (const prefix of new Set(planned.map(p => p.prefix))) {
      cache.grantPullFromUpstream(provider.onEventHandler, prefix);
    }
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::CachedImages',
      properties: {
        RegistryDomain: cache.registryDomain,
        Images: Lazy.any({
          produce: () => planned.map(p => ({
            Reference: p.reference,
            Repository: p.repository,
            Tag: p.tag,
            RequiredPlatforms: p.requiredPlatforms.size > 0 ? [...p.requiredPlatforms].sort() : undefined,
          })),
        }),
        Platforms: props.platforms && props.platforms.length > 0 ? props.platforms : undefined,
        FailOnError: String(props.failOnError ?? true),
        TimeoutSeconds: String(timeout),
        Retries: String(retries),
      },
    });
    // The grants and the cache's templates exist before the first pull creates a repository.
    this.resource.node.addDependency(provider.onEventHandler.role!);
    this.resource.node.addDependency(cache);
    this.failures = this.resource.getAttString('Failures');
    // dockerImageCode adds platform digests after construction: their number is checked at synthesis.
    this.node.addValidation({
      validate: () => {
        const platformDigests = planned.reduce((n, p) => n + p.requiredPlatforms.size, 0);
        const bytes = planned.length * DIGEST_ATTRIBUTE_BYTES + platformDigests * PLATFORM_ATTRIBUTE_BYTES;
        return bytes > MAX_DIGEST_BYTES
          ? [`${where}: ${planned.length} images and ${platformDigests} platform digests (dockerImageCode) need about ${bytes} bytes of the `
            + `custom resource's answer; CloudFormation takes 4 KB, of which ${MAX_DIGEST_BYTES} are left for digests: split the images across several CachedImages`]
          : [];
      },
    });
  }

  /**
   * The digest ECR holds for an image after the warm-up (of the index, for a multi-platform
   * image): a deploy-time token, e.g. `sha256:...`.
   *
   * @param reference one of `images`, as given
   */
  public digestOf(reference: string): string {
    return this.resource.getAttString(`Digest${this.indexOf(reference)}`);
  }

  /**
   * The URI of an image in the cache pinned to its digest, `<cache host>/<repository>@sha256:...`.
   *
   * @param reference one of `images`, as given
   */
  public imageUriOf(reference: string): string {
    const p = this.planned[this.indexOf(reference)];
    return `${this.cache.registryDomain}/${p.repository}@${this.digestOf(reference)}`;
  }

  /**
   * An ECS container image pinned to the digest the warm-up reports; the task definition's
   * execution role is granted the pull through the image's upstream.
   *
   * @param reference one of `images`, as given
   */
  public containerImage(reference: string): ecs.ContainerImage {
    const uri = this.imageUriOf(reference);
    const prefix = this.planned[this.indexOf(reference)].prefix;
    const cache = this.cache;
    return new class extends ecs.ContainerImage {
      public bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
        cache.grantPullFromUpstream(containerDefinition.taskDefinition.obtainExecutionRole(), prefix);
        return { imageName: uri };
      }
    }();
  }

  /**
   * Lambda code that runs the image from the cache, pinned to the digest of its manifest for the
   * function's architecture. The templates' repository policy must let Lambda read it.
   *
   * @param reference one of `images`, as given
   * @param architecture the function's architecture; by default, the architecture of the function it is given to
   * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/warm-up.md
   */
  public dockerImageCode(reference: string, architecture?: lambda.Architecture): lambda.DockerImageCode {
    const index = this.indexOf(reference);
    const planned = this.planned[index];
    const codeOf = (arch: lambda.Architecture): lambda.Code => {
      const platform = arch.dockerPlatform;
      planned.requiredPlatforms.add(platform);
      const digest = this.resource.getAttString(`Digest${index}.${platform.replace(/\//g, '.')}`);
      return new WarmImageCode(`${this.cache.registryDomain}/${planned.repository}@${digest}`);
    };
    if (this.cache instanceof PullThroughCache && !isLambdaReadable(this.cache)) {
      warn(this, 'lambdaRepositoryPolicy',
        `${api('dockerImageCode')} of '${reference}': the repository creation templates of the cache at '${this.cache.node.path}' do not let Lambda `
        + 'read the cached images (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer for lambda.amazonaws.com), so creating the function may fail '
        + `with "Lambda does not have permission to access the ECR image". Set ${api('repositoryTemplate.allowLambda')}: true on the cache; see ${LAMBDA_IMAGES_DOC}`);
    }
    if (architecture !== undefined) {
      // The platform is known now: the warm-up checks it even if no function uses the code.
      planned.requiredPlatforms.add(architecture.dockerPlatform);
    }
    return new class extends lambda.DockerImageCode {
      public _bind(fnArchitecture?: lambda.Architecture): lambda.Code {
        const fn = fnArchitecture ?? lambda.Architecture.X86_64;
        if (architecture !== undefined && fn.name !== architecture.name) {
          throw new Error(`CachedImages: ${api('dockerImageCode')} of '${reference}' for ${architecture.name} is given to a function of architecture ${fn.name}: `
            + `give ${api('dockerImageCode')} the function's architecture, or none`);
        }
        return codeOf(fn);
      }
    }();
  }

  private indexOf(reference: string): number {
    const index = this.planned.findIndex(p => p.reference === reference);
    if (index < 0) {
      throw new Error(`CachedImages at '${this.node.path}': '${reference}' is not one of its images (${this.planned.map(p => `'${p.reference}'`).join(', ')}); `
        + 'add it to images, spelled the same way');
    }
    return index;
  }
}

/** Lambda code of an image URI whose function is known to run from a warmed cache. */
class WarmImageCode extends lambda.Code {
  public readonly isInline = false;
  constructor(private readonly imageUri: string) {
    super();
  }
  public bind(scope: Construct): lambda.CodeConfig {
    markWarmFunction(scope);
    return { image: { imageUri: this.imageUri } };
  }
}

/** One handler and one provider per stack, shared by every CachedImages of the stack. */
function singletonProvider(stack: Stack): cr.Provider {
  const existing = stack.node.tryFindChild(PROVIDER_ID) as cr.Provider | undefined;
  if (existing) {
    return existing;
  }
  const onEvent = new lambda.Function(stack, HANDLER_ID, {
    description: 'cdk-pull-through-cache CachedImages: pulls images through the ECR pull-through cache at deploy',
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    // The compiled handler only (index.js, pull.js): no dependency, the AWS SDK comes with the runtime.
    code: lambda.Code.fromAsset(path.join(__dirname, 'private', 'handler'), { exclude: ['*.d.ts'] }),
    // Below the Provider framework's own 15 minutes, so the framework always answers CloudFormation;
    // the handler stops pulling a minute before this (index.ts).
    timeout: Duration.minutes(14),
    memorySize: 512,
  });
  return new cr.Provider(stack, PROVIDER_ID, { onEventHandler: onEvent });
}
