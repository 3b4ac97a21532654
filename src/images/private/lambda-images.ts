import { IAspect, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { api, warn } from '../../core/private/diagnostics';
import { prefixPath } from '../../core/private/rules';

/**
 * The Lambda guide on function images: the image must be in an ECR repository of the function's
 * region; it lists no pull-through cache, and a function whose image is deleted fails with
 * `ImageDeleted`.
 */
export const LAMBDA_IMAGES_DOC = 'https://docs.aws.amazon.com/lambda/latest/dg/images-create.html';

const REASON = 'Lambda does not pull through a pull-through cache: the image must already exist in ECR when the function '
  + 'is created or updated and stay there while the function uses it, but a cached image exists only after a first '
  + 'pull through the cache and can be expired by the lifecycle rules of the cache\'s repository creation template '
  + `(the function then fails with ImageDeleted). Push the image to a repository you own (e.g. ${api('DockerImageCode.fromImageAsset')} `
  + `or a repository your pipeline pushes to) instead; see ${LAMBDA_IMAGES_DOC}`;

/**
 * The constructs (Lambda functions) whose image code comes from `CachedImages.dockerImageCode`:
 * warmed at deploy and pinned by digest, so the guard leaves them alone.
 */
const warmFunctions = new WeakSet<IConstruct>();

/** Record that a function runs an image `CachedImages` warms. */
export function markWarmFunction(fn: IConstruct): void {
  warmFunctions.add(fn);
}

/** Caches whose creation templates let Lambda read the cached images (`allowLambda`). */
const lambdaReadable = new WeakSet<IConstruct>();


/** Whether a cache of this app is known to let Lambda read its repositories. */
export function isLambdaReadable(cache: IConstruct): boolean {
  return lambdaReadable.has(cache);
}

/**
 * The repository policy statement Lambda needs to run an image of a repository: the service reads
 * the image as `lambda.amazonaws.com`, for functions of this account and region only
 * (`aws:sourceArn`, as the Lambda guide's example scopes it). Records that the cache lets Lambda
 * read its repositories.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#gettingstarted-images-permissions
 */
export function lambdaPullStatement(cache: IConstruct): iam.PolicyStatement {
  // The cache's templates let Lambda read its repositories: CachedImages may then serve functions.
  lambdaReadable.add(cache);
  const stack = Stack.of(cache);
  return new iam.PolicyStatement({
    sid: 'LambdaECRImageRetrievalPolicy',
    principals: [new iam.ServicePrincipal('lambda.amazonaws.com')],
    actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    conditions: {
      StringLike: { 'aws:sourceArn': `arn:${stack.partition}:lambda:${stack.region}:${stack.account}:function:*` },
    },
  });
}

/** A cache as the guard sees it. */
export interface GuardedCache {
  readonly node: IConstruct['node'];
  readonly prefixes: string[];
  readonly registryDomain: string;
}

/**
 * Warns on every Lambda function of a stack whose image URI points into one of a cache's
 * prefixes (`cdk-pull-through-cache:lambdaImageInCache`). An aspect of priority READONLY, since
 * functions usually come after the cache; a warning, since the function deploys while the image
 * is cached.
 */
export class LambdaImageGuard implements IAspect {
  private readonly visited = new WeakSet<IConstruct>();

  constructor(private readonly cache: GuardedCache) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof lambda.CfnFunction) || this.visited.has(node)) {
      return;
    }
    this.visited.add(node);
    const code = node.code as lambda.CfnFunction.CodeProperty | undefined;
    if (code === undefined || Token.isUnresolved(code) || code.imageUri === undefined) {
      return;
    }
    const stack = Stack.of(node);
    const imageUri = flatten(stack.resolve(code.imageUri));
    const prefix = cachedPrefixOf(imageUri, flatten(stack.resolve(this.cache.registryDomain)), this.cache.prefixes);
    if (prefix === undefined) {
      return;
    }
    const parent = node.node.scope;
    if (parent !== undefined && warmFunctions.has(parent)) {
      return;
    }
    const target = parent instanceof lambda.Function && parent.node.defaultChild === node ? parent : node;
    warn(target, 'lambdaImageInCache',
      `the function's image '${imageUri}' is in prefix '${prefix}' of the pull-through cache at '${this.cache.node.path}': ${REASON}`,
    );
  }
}

/** Pseudo parameters that may appear in a registry domain, as placeholders. */
const URL_SUFFIX = '{AWS::URLSuffix}';

/**
 * A resolved CloudFormation value as one string: literals kept, `Ref`s of pseudo parameters as
 * `{AWS::...}`, anything else as `{?}`; `undefined` when it is not a string expression.
 */
export function flatten(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const ref = (value as any).Ref;
    if (typeof ref === 'string') {
      return ref.startsWith('AWS::') ? `{${ref}}` : '{?}';
    }
    const join = (value as any)['Fn::Join'];
    if (Array.isArray(join) && join.length === 2 && Array.isArray(join[1])) {
      const parts = join[1].map(flatten);
      return parts.every((p: string | undefined) => p !== undefined) ? parts.join(String(join[0])) : undefined;
    }
    return '{?}';
  }
  return undefined;
}

const ECR_DOMAIN = /^([^/]+)\.dkr\.ecr\.([^/]+?)\.(amazonaws\.com\.cn|amazonaws\.com|\{AWS::URLSuffix\})$/;

/** The registry domain with its URL suffix written one way, or undefined when it is not ECR's. */
function normalizeDomain(domain: string): string | undefined {
  const match = ECR_DOMAIN.exec(domain);
  return match ? `${match[1]}.dkr.ecr.${match[2]}.${URL_SUFFIX}` : undefined;
}

/**
 * The cache prefix an image URI points into, or undefined. Both are flattened (see `flatten`).
 *
 * The URI's registry must be the cache's (same account and region; the URL suffix may be a
 * literal or `AWS::URLSuffix`). When the cache's account or region is unknown at synth (an
 * environment-agnostic stack), a literal ECR domain could be the cache's, and counts too.
 */
export function cachedPrefixOf(imageUri: string | undefined, cacheDomain: string | undefined, prefixes: string[]): string | undefined {
  if (imageUri === undefined || cacheDomain === undefined) {
    return undefined;
  }
  const slash = imageUri.indexOf('/');
  if (slash < 0) {
    return undefined;
  }
  const domain = normalizeDomain(imageUri.slice(0, slash));
  const ours = normalizeDomain(cacheDomain);
  if (domain === undefined || ours === undefined) {
    return undefined;
  }
  const cacheUnknown = ours.replace(URL_SUFFIX, '').includes('{');
  const uriLiteral = !domain.replace(URL_SUFFIX, '').includes('{');
  if (domain !== ours && !(cacheUnknown && uriLiteral)) {
    return undefined;
  }
  const path = imageUri.slice(slash + 1);
  const matching = prefixes
    .filter(p => !Token.isUnresolved(p))
    .map(prefixPath)
    .filter(p => path.startsWith(`${p}/`));
  // The longest prefix is the rule ECR applies.
  return matching.sort((a, b) => b.length - a.length)[0];
}
