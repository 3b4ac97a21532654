import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as fc from 'fast-check';
import {
  PullThroughCache,
  PullThroughCacheSecret,
  RepositoryTemplateOptions,
  TemplateScope,
  UpstreamDefinition,
  UpstreamRegistry,
} from '../src';

/*
 * Property-based tests: random upstream lists and template options, against invariants.
 *
 *   (a) a valid configuration synthesizes, and what it renders is within the CloudFormation
 *       schemas of AWS::ECR::PullThroughCacheRule and AWS::ECR::RepositoryCreationTemplate;
 *   (b) an invalid one throws an Error (not a TypeError) naming the offending field, and the
 *       stack is left without resources;
 *   (c) permuting the upstream list never changes the synthesized template;
 *   (d) adding an upstream never changes an existing resource's logical ID or properties
 *       (IAM policies excepted: grants widen).
 *
 * FC_NUM_RUNS overrides the number of runs per property (default 200); FC_SEED replays a failure.
 */
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 200);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = { numRuns: NUM_RUNS, seed: SEED };

// --- The schemas (CloudFormation resource provider schemas, as bundled by cfn-lint 1.58.0) ---

const SCHEMA_PREFIX = /^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$/;
const UPSTREAM_REGISTRIES = [
  'azure-container-registry', 'chainguard', 'docker-hub', 'ecr', 'ecr-public',
  'github-container-registry', 'gitlab-container-registry', 'k8s', 'quay',
];
const APPLIED_FOR = ['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'];
const IMAGE_TAG_MUTABILITY = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'];
const ENCRYPTION_TYPES = ['AES256', 'KMS', 'KMS_DSSE'];

// --- Configurations as plain data, turned into constructs by `build` ---

type Kind = 'dockerHub' | 'ghcr' | 'gitlab' | 'azure' | 'chainguard' | 'k8s' | 'quay' | 'ecrPublic' | 'ecr';
const CREDENTIALED: Kind[] = ['dockerHub', 'ghcr', 'gitlab', 'azure', 'chainguard'];
const PUBLIC: Kind[] = ['k8s', 'quay', 'ecrPublic', 'ecr'];
const DEFAULT_PREFIX: Record<Kind, string> = {
  dockerHub: 'dockercache',
  ghcr: 'ghcrcache',
  gitlab: 'gitlabcache',
  azure: 'azurecache',
  chainguard: 'chainguardcache',
  k8s: 'k8scache',
  quay: 'quaycache',
  ecrPublic: 'ecrpubliccache',
  ecr: 'ecrcache',
};

/**
 * How an upstream's credentials are given: a PullThroughCacheSecret, a secret imported by its
 * complete ARN (both valid for credentialed upstreams), none, or a secret ECR cannot use.
 */
type Credentials = 'pullThroughCacheSecret' | 'completeArn' | 'none' | 'customerKey' | 'byName' | 'wrongName';

interface UpstreamSpec {
  readonly kind: Kind;
  readonly prefix?: string;
  readonly credentials: Credentials;
  readonly azureName?: string;
  readonly ecr?: { readonly account?: string; readonly region?: string; readonly repositoryPrefix?: string };
}

interface LifecycleSpec {
  readonly status: 'tagged' | 'untagged' | 'any';
  readonly prefixes?: string[];
  readonly patterns?: string[];
  readonly count?: number;
  readonly ageDays?: number;
  readonly description?: string;
}

interface TemplateSpec {
  readonly scope?: TemplateScope;
  readonly mutability?: ecr.TagMutability;
  readonly filters?: string[];
  readonly encryption?: 'AES_256' | 'KMS' | 'KMS_DSSE';
  readonly key: boolean;
  readonly tags?: Record<string, string>;
  readonly lifecycle?: LifecycleSpec[];
  readonly description?: string;
  readonly policy: boolean;
}

function effectivePrefix(spec: UpstreamSpec): string {
  return spec.prefix ?? DEFAULT_PREFIX[spec.kind];
}

function prefixPath(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

function registry(stack: Stack, spec: UpstreamSpec, index: number): UpstreamRegistry {
  switch (spec.kind) {
    case 'dockerHub': return UpstreamRegistry.dockerHub();
    case 'ghcr': return UpstreamRegistry.githubContainerRegistry();
    case 'gitlab': return UpstreamRegistry.gitlabContainerRegistry();
    case 'azure': return UpstreamRegistry.azureContainerRegistry(spec.azureName ?? 'myregistry');
    case 'chainguard': return UpstreamRegistry.chainguard();
    case 'k8s': return UpstreamRegistry.kubernetes();
    case 'quay': return UpstreamRegistry.quay();
    case 'ecrPublic': return UpstreamRegistry.ecrPublic();
    case 'ecr': return UpstreamRegistry.ecr({
      role: new iam.Role(stack, `EcrRole${index}`, { assumedBy: new iam.ServicePrincipal('pullthroughcache.ecr.amazonaws.com') }),
      account: spec.ecr?.account,
      // Another region than the (environment-agnostic) stack's, when the spec gives none.
      region: spec.ecr?.region ?? 'us-west-2',
      repositoryPrefix: spec.ecr?.repositoryPrefix,
    });
  }
}

function credentials(stack: Stack, spec: UpstreamSpec, index: number): secretsmanager.ISecret | undefined {
  const name = `ecr-pullthroughcache/r${index}`;
  switch (spec.credentials) {
    case 'none': return undefined;
    case 'pullThroughCacheSecret': return PullThroughCacheSecret.create(stack, `Secret${index}`, { registryName: `r${index}`, username: 'user' });
    case 'completeArn': return secretsmanager.Secret.fromSecretCompleteArn(stack, `Secret${index}`,
      `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`);
    case 'byName': return secretsmanager.Secret.fromSecretNameV2(stack, `Secret${index}`, name);
    case 'wrongName': return new secretsmanager.Secret(stack, `Secret${index}`, { secretName: `other/r${index}` });
    case 'customerKey': return new secretsmanager.Secret(stack, `Secret${index}`, {
      secretName: name, encryptionKey: new kms.Key(stack, `SecretKey${index}`),
    });
  }
}

function templateOptions(stack: Stack, spec: TemplateSpec): RepositoryTemplateOptions {
  return {
    scope: spec.scope,
    imageTagMutability: spec.mutability,
    imageTagMutabilityExclusionFilters: spec.filters?.map(f => ecr.ImageTagMutabilityExclusionFilter.wildcard(f)),
    encryption: spec.encryption === undefined ? undefined : ecr.RepositoryEncryption[spec.encryption],
    encryptionKey: spec.key ? new kms.Key(stack, 'TemplateKey', { enableKeyRotation: true }) : undefined,
    resourceTags: spec.tags,
    lifecycleRules: spec.lifecycle?.map(rule => ({
      tagStatus: rule.status === 'tagged' ? ecr.TagStatus.TAGGED : rule.status === 'untagged' ? ecr.TagStatus.UNTAGGED : ecr.TagStatus.ANY,
      tagPrefixList: rule.prefixes,
      tagPatternList: rule.patterns,
      maxImageCount: rule.count,
      maxImageAge: rule.ageDays === undefined ? undefined : Duration.days(rule.ageDays),
      description: rule.description,
    })),
    description: spec.description,
    repositoryPolicy: spec.policy
      ? new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'], principals: [new iam.AccountPrincipal('444455556666')] })],
      })
      : undefined,
  };
}

interface Built {
  readonly app: App;
  /** The stack of the cache (and, unless `separate`, of the secrets, roles and keys it uses). */
  readonly stack: Stack;
  readonly create: () => PullThroughCache;
}

/**
 * Build a configuration. The secrets, roles and keys are created in the order of `upstreams`
 * (so `order` only permutes the list the cache is given); with `separate`, in a stack of their
 * own, so the cache's stack holds nothing but what the cache creates.
 */
function build(
  upstreams: UpstreamSpec[], template: TemplateSpec | undefined,
  options: { order?: number[]; separate?: boolean; override?: (stack: Stack) => Partial<RepositoryTemplateOptions> } = {},
): Built {
  const app = new App();
  const stack = new Stack(app, 'Cache');
  const deps = options.separate ? new Stack(app, 'Deps') : stack;
  const definitions: UpstreamDefinition[] = upstreams.map((spec, i) => ({
    registry: registry(deps, spec, i),
    prefix: spec.prefix,
    credentials: credentials(deps, spec, i),
  }));
  const repositoryTemplate = template || options.override
    ? { ...(template ? templateOptions(deps, template) : {}), ...options.override?.(deps) }
    : undefined;
  const ordered = (options.order ?? upstreams.map((_, i) => i)).map(i => definitions[i]);
  const puller = new iam.Role(deps, 'Puller', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  return {
    app,
    stack,
    create: () => {
      const cache = new PullThroughCache(stack, 'Cache', { upstreams: ordered, repositoryTemplate });
      cache.grantPull(puller);
      return cache;
    },
  };
}

function synthesize(built: Built): any {
  built.create();
  return Template.fromStack(built.stack).toJSON();
}

// --- Arbitraries ---

const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const alnum = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...LOWER_DIGITS), minLength: min, maxLength: max });
const separator = fc.constantFrom('.', '_', '__', '-', '--');
const component = fc.tuple(alnum(1, 5), fc.array(fc.tuple(separator, alnum(1, 4)), { maxLength: 2 }))
  .map(([first, rest]) => first + rest.map(([s, a]) => s + a).join(''));

/** A prefix ECR accepts: 2 to 30 characters of the schema's pattern (never ROOT: lowercase). */
const validPrefix = fc.tuple(fc.array(component, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([parts, slash]) => parts.join('/') + (slash ? '/' : ''))
  .filter(p => p.length >= 2 && p.length <= 30);

/** A prefix ECR rejects, of every kind of mistake. */
const invalidPrefix = fc.oneof(
  validPrefix.filter(p => /[a-z]/.test(p)).map(p => p.toUpperCase()), // uppercase
  alnum(1, 1), // too short
  fc.constant(''), // empty
  fc.array(alnum(5, 9), { minLength: 4, maxLength: 6 }).map(a => a.join('-')).filter(p => p.length > 30), // too long
  fc.tuple(fc.constantFrom('-', '_', '.', '/'), validPrefix).map(([s, p]) => s + p).filter(p => p.length <= 30), // leading separator
  fc.tuple(validPrefix, fc.constantFrom('-', '_', '.', '//')).map(([p, s]) => prefixPath(p) + s).filter(p => p.length <= 30), // trailing separator
  fc.tuple(alnum(1, 5), alnum(1, 5)).map(([a, b]) => `${a}//${b}`), // empty path segment
  fc.tuple(alnum(1, 5), fc.constantFrom(' ', '!', ':', '@', '*', '+', 'é'), alnum(1, 5)).map(([a, c, b]) => a + c + b), // character
  fc.constant('ROOT'),
);

const ecrOptions = fc.record({
  account: fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 12, maxLength: 12 }), { nil: undefined }),
  // An ECR upstream is another account and/or region: the stack is environment-agnostic, so a
  // region always makes it one (a missing account is the stack's).
  region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1'),
  repositoryPrefix: fc.option(fc.oneof(validPrefix, fc.constant('ROOT')), { nil: undefined }),
}, { requiredKeys: ['region'] });

/** A valid upstream: a secret exactly for the registries that need one. */
const validUpstream: fc.Arbitrary<UpstreamSpec> = fc.constantFrom<Kind>(...CREDENTIALED, ...PUBLIC).chain(kind => fc.record({
  kind: fc.constant(kind),
  prefix: fc.option(validPrefix, { nil: undefined }),
  credentials: CREDENTIALED.includes(kind)
    ? fc.constantFrom<Credentials>('pullThroughCacheSecret', 'completeArn')
    : fc.constant<Credentials>('none'),
  azureName: kind === 'azure'
    ? fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')), minLength: 5, maxLength: 12 })
    : fc.constant(undefined),
  ecr: kind === 'ecr' ? ecrOptions : fc.constant(undefined),
}, { requiredKeys: ['kind', 'credentials'] }));

/** 1 to `max` valid upstreams with distinct prefixes. */
const validUpstreams = (min = 1, max = 6) =>
  fc.uniqueArray(validUpstream, { minLength: min, maxLength: max, selector: u => prefixPath(effectivePrefix(u)) });

const tagPattern = fc.string({ unit: fc.constantFrom('a', 'b', '1', '.', '-', '*'), minLength: 1, maxLength: 8 })
  .filter(p => p.split('*').length <= 5);

const lifecycleRules: fc.Arbitrary<LifecycleSpec[]> = fc.tuple(
  fc.array(fc.record({
    status: fc.constant<'tagged'>('tagged'),
    prefixes: fc.array(alnum(1, 4), { minLength: 1, maxLength: 3 }),
  }), { maxLength: 2 }),
  fc.array(fc.record({
    status: fc.constant<'tagged'>('tagged'),
    patterns: fc.array(tagPattern, { minLength: 1, maxLength: 3 }),
  }), { maxLength: 1 }),
  fc.array(fc.record({ status: fc.constant<'untagged'>('untagged') }), { maxLength: 1 }),
  fc.array(fc.record({ status: fc.constant<'any'>('any') }), { maxLength: 1 }),
).chain(([prefixed, patterned, untagged, any]) => {
  const selections: Array<Omit<LifecycleSpec, 'count' | 'ageDays' | 'description'>> = [...prefixed, ...patterned, ...untagged, ...any];
  return fc.tuple(...selections.map(selection => fc.record({
    count: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    ageDays: fc.integer({ min: 1, max: 3650 }),
    description: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  }).map(({ count, ageDays, description }) => ({
    ...selection,
    count,
    ageDays: count === undefined ? ageDays : undefined,
    description,
  }))));
}).chain(rules => fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length }));

const exclusionFilter = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '_', '*', '-'), minLength: 1, maxLength: 12 });

const validTemplate: fc.Arbitrary<TemplateSpec> = fc.record({
  scope: fc.option(fc.constantFrom(TemplateScope.PER_UPSTREAM, TemplateScope.ANY_PREFIX), { nil: undefined }),
  mutability: fc.option(fc.constantFrom(...Object.values(ecr.TagMutability)), { nil: undefined }),
  encryption: fc.option(fc.constantFrom<'AES_256' | 'KMS' | 'KMS_DSSE'>('AES_256', 'KMS', 'KMS_DSSE'), { nil: undefined }),
  key: fc.boolean(),
  tags: fc.option(fc.dictionary(
    fc.string({ unit: fc.constantFrom('a', 'b', 'c', '-', ':', '1'), minLength: 1, maxLength: 10 }).filter(k => !k.startsWith('aws:')),
    fc.string({ maxLength: 20 }),
    { maxKeys: 4 },
  ), { nil: undefined }),
  lifecycle: fc.option(lifecycleRules, { nil: undefined }),
  description: fc.option(fc.string({ maxLength: 256 }), { nil: undefined }),
  policy: fc.boolean(),
  filters: fc.array(exclusionFilter, { minLength: 1, maxLength: 5 }),
}).map(t => ({
  ...t,
  // Exclusion filters only with *_WITH_EXCLUSION, and always then; a key only with KMS encryption.
  filters: t.mutability === ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION || t.mutability === ecr.TagMutability.MUTABLE_WITH_EXCLUSION
    ? t.filters : undefined,
  key: t.key && t.encryption !== 'AES_256',
}));

const optionalTemplate = fc.option(validTemplate, { nil: undefined });

// --- (b): one mistake in an otherwise valid configuration, and the field its message must name ---

interface Mistake {
  readonly upstreams: UpstreamSpec[];
  readonly template?: TemplateSpec;
  readonly override?: (stack: Stack) => Partial<RepositoryTemplateOptions>;
  /** What the error message must contain: the offending field (and value). */
  readonly names: string;
}

const FRESH = 'zz9fresh';

const mistake: fc.Arbitrary<Mistake> = fc.tuple(validUpstreams(1, 4), optionalTemplate).chain(([upstreams, template]) => fc.oneof(
  fc.tuple(fc.nat({ max: upstreams.length - 1 }), invalidPrefix)
    // ROOT is a valid prefix of an ECR upstream whose upstream repository prefix is none or ROOT
    // (a registry-wide rule), and only of one.
    .filter(([i, prefix]) => !(prefix === 'ROOT' && upstreams[i].kind === 'ecr' && [undefined, 'ROOT'].includes(upstreams[i].ecr?.repositoryPrefix)))
    .map(([i, prefix]): Mistake => ({
      upstreams: upstreams.map((u, j) => (j === i ? { ...u, prefix } : u)), template, names: `prefix '${prefix}'`,
    })),
  fc.constantFrom(...CREDENTIALED).map((kind): Mistake => ({
    upstreams: [...upstreams, { kind, prefix: FRESH, credentials: 'none', azureName: 'myregistry' }],
    template,
    names: `upstream '${FRESH}': credentials are missing`,
  })),
  fc.constantFrom<Kind>('k8s', 'quay', 'ecrPublic', 'ecr').map((kind): Mistake => ({
    upstreams: [...upstreams, { kind, prefix: FRESH, credentials: 'pullThroughCacheSecret' }],
    template,
    names: `upstream '${FRESH}': credentials were given`,
  })),
  fc.constantFrom<[Credentials, string]>(
    ['customerKey', 'credentials: the secret is encrypted with a customer-managed KMS key'],
    ['byName', 'credentials: the secret was imported without its complete ARN'],
    ['wrongName', 'credentials: secret name \'other/r'],
  ).map(([given, names]): Mistake => ({
    upstreams: [...upstreams, { kind: 'dockerHub', prefix: FRESH, credentials: given }], template, names: `upstream '${FRESH}': ${names}`,
  })),
  fc.constant<Mistake>({
    upstreams: [...upstreams, { ...upstreams[0], kind: 'quay', credentials: 'none', prefix: `${prefixPath(effectivePrefix(upstreams[0]))}/` }],
    template,
    names: `prefix '${prefixPath(effectivePrefix(upstreams[0]))}/' is already used`,
  }),
  fc.constant<Mistake>({ upstreams: [], template, names: 'upstreams: the list is empty' }),
  fc.constant<Mistake>({
    upstreams: Array.from({ length: 51 }, (_, i) => ({ kind: 'quay' as Kind, prefix: `q${i}`, credentials: 'none' as Credentials })),
    template,
    names: 'upstreams: 51 upstreams given',
  }),
  fc.oneof(alnum(1, 4), fc.constantFrom('my-registry', 'my_registry', 'a'.repeat(51))).map((azureName): Mistake => ({
    upstreams: [...upstreams, { kind: 'azure', prefix: FRESH, credentials: 'pullThroughCacheSecret', azureName }],
    template,
    names: `upstream '${FRESH}': registry: registryName (Python: registry_name) '${azureName}'`,
  })),
  fc.constantFrom<[string, string]>(['account', '1234'], ['region', 'mars-1'], ['repositoryPrefix (Python: repository_prefix)', 'Bad Prefix']).map(([field, value]): Mistake => ({
    upstreams: [...upstreams, { kind: 'ecr', prefix: FRESH, credentials: 'none', ecr: { region: 'us-west-2', [field.split(' ')[0]]: value } }],
    template,
    names: `upstream '${FRESH}': registry: ${field} '${value}'`,
  })),
  // Template options.
  fc.string({ minLength: 257, maxLength: 400 }).map((description): Mistake => ({
    upstreams, template, override: () => ({ description }), names: 'repositoryTemplate.description',
  })),
  fc.constantFrom(ecr.TagMutability.MUTABLE, ecr.TagMutability.IMMUTABLE).map((mutability): Mistake => ({
    upstreams,
    template,
    override: () => ({ imageTagMutability: mutability, imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard('latest')] }),
    names: 'repositoryTemplate.imageTagMutabilityExclusionFilters',
  })),
  fc.constantFrom(ecr.TagMutability.MUTABLE_WITH_EXCLUSION, ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION).map((mutability): Mistake => ({
    upstreams,
    template,
    override: () => ({ imageTagMutability: mutability, imageTagMutabilityExclusionFilters: undefined }),
    names: 'repositoryTemplate.imageTagMutabilityExclusionFilters',
  })),
  fc.constant<Mistake>({
    upstreams,
    template,
    override: () => ({
      imageTagMutability: ecr.TagMutability.MUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: Array.from({ length: 6 }, (_, i) => ecr.ImageTagMutabilityExclusionFilter.wildcard(`t${i}`)),
    }),
    names: 'repositoryTemplate.imageTagMutabilityExclusionFilters',
  }),
  fc.constant<Mistake>({
    upstreams,
    template,
    override: stack => ({ encryption: ecr.RepositoryEncryption.AES_256, encryptionKey: new kms.Key(stack, 'WrongKey') }),
    names: 'repositoryTemplate.encryptionKey',
  }),
  fc.oneof(
    fc.constant({ 'aws:team': 'x' }),
    fc.constant({ ['k'.repeat(129)]: 'x' }),
    fc.constant(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']))),
  ).map((resourceTags): Mistake => ({ upstreams, template, override: () => ({ resourceTags }), names: 'repositoryTemplate.resourceTags' })),
  fc.constantFrom<[ecr.LifecycleRule[], string]>(
    [[{ maxImageCount: 5, maxImageAge: Duration.days(1) }], 'repositoryTemplate.lifecycleRules[0]'],
    [[{ tagStatus: ecr.TagStatus.TAGGED, maxImageCount: 5 }], 'repositoryTemplate.lifecycleRules[0]'],
    [[{ tagStatus: ecr.TagStatus.UNTAGGED, tagPrefixList: ['v'], maxImageCount: 5 }], 'repositoryTemplate.lifecycleRules[0]'],
    [[{ maxImageAge: Duration.hours(36) }], 'repositoryTemplate.lifecycleRules[0]'],
    [[{ maxImageCount: 1 }, { maxImageCount: 2 }], 'repositoryTemplate.lifecycleRules'],
    [[{ tagPatternList: ['*a*b*c*d*'], maxImageCount: 2 }], 'repositoryTemplate.lifecycleRules[0]'],
  ).map(([lifecycle, names]): Mistake => ({ upstreams, template, override: () => ({ lifecycleRules: lifecycle }), names })),
));

// --- The properties ---

function resourcesOfType(template: any, type: string): any[] {
  return Object.values<any>(template.Resources ?? {}).filter(r => r.Type === type).map(r => r.Properties);
}

describe('properties of PullThroughCache', () => {
  test('(a) a valid configuration synthesizes within the CloudFormation schemas', () => {
    fc.assert(fc.property(validUpstreams(), optionalTemplate, (upstreams, template) => {
      const synthesized = synthesize(build(upstreams, template));

      const rules = resourcesOfType(synthesized, 'AWS::ECR::PullThroughCacheRule');
      expect(rules).toHaveLength(upstreams.length);
      for (const rule of rules) {
        expect(rule.EcrRepositoryPrefix.length).toBeGreaterThanOrEqual(2);
        expect(rule.EcrRepositoryPrefix.length).toBeLessThanOrEqual(30);
        expect(rule.EcrRepositoryPrefix).toMatch(SCHEMA_PREFIX);
        expect(UPSTREAM_REGISTRIES).toContain(rule.UpstreamRegistry);
        if (rule.UpstreamRepositoryPrefix !== undefined) {
          expect(rule.UpstreamRepositoryPrefix.length).toBeGreaterThanOrEqual(2);
          expect(rule.UpstreamRepositoryPrefix.length).toBeLessThanOrEqual(30);
          expect(rule.UpstreamRepositoryPrefix).toMatch(SCHEMA_PREFIX);
        }
      }
      expect(rules.map(r => r.EcrRepositoryPrefix).sort()).toEqual(upstreams.map(effectivePrefix).sort());

      const templates = resourcesOfType(synthesized, 'AWS::ECR::RepositoryCreationTemplate');
      expect(templates).toHaveLength(template?.scope === TemplateScope.ANY_PREFIX ? 1 : upstreams.length);
      for (const t of templates) {
        expect(t.Prefix.length).toBeGreaterThanOrEqual(1);
        expect(t.Prefix.length).toBeLessThanOrEqual(256);
        expect(t.Prefix).toMatch(SCHEMA_PREFIX);
        expect(t.AppliedFor.length).toBeGreaterThan(0);
        for (const appliedFor of t.AppliedFor) {
          expect(APPLIED_FOR).toContain(appliedFor);
        }
        expect(IMAGE_TAG_MUTABILITY).toContain(t.ImageTagMutability);
        if (t.Description !== undefined) {
          expect(t.Description.length).toBeLessThanOrEqual(256);
        }
        if (t.ImageTagMutabilityExclusionFilters !== undefined) {
          expect(t.ImageTagMutabilityExclusionFilters.length).toBeGreaterThanOrEqual(1);
          expect(t.ImageTagMutabilityExclusionFilters.length).toBeLessThanOrEqual(5);
        }
        if (t.EncryptionConfiguration !== undefined) {
          expect(ENCRYPTION_TYPES).toContain(t.EncryptionConfiguration.EncryptionType);
        }
        if (t.LifecyclePolicy !== undefined) {
          expect(t.LifecyclePolicy.length).toBeGreaterThanOrEqual(100);
          expect(t.LifecyclePolicy.length).toBeLessThanOrEqual(30720);
        }
        expect((t.ResourceTags ?? []).length).toBeLessThanOrEqual(50);
      }
    }), params);
  });

  test('(b) an invalid configuration throws an Error naming the field, and leaves no resource', () => {
    fc.assert(fc.property(mistake, ({ upstreams, template, override, names }) => {
      const built = build(upstreams, template, { separate: true, override });
      let error: unknown;
      try {
        built.create();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('PullThroughCache at \'Cache/Cache\' is invalid');
      expect((error as Error).message).toContain(names);
      expect(built.stack.node.findAll().filter(c => CfnElement.isCfnElement(c))).toEqual([]);
    }), params);
  });

  test('(c) permuting the upstream list never changes the synthesized template', () => {
    const listAndPermutation = fc.tuple(validUpstreams(2, 6), optionalTemplate).chain(([upstreams, template]) => fc.tuple(
      fc.constant(upstreams),
      fc.constant(template),
      fc.shuffledSubarray(upstreams.map((_, i) => i), { minLength: upstreams.length, maxLength: upstreams.length }),
    ));
    fc.assert(fc.property(listAndPermutation, ([upstreams, template, order]) => {
      const original = JSON.stringify(synthesize(build(upstreams, template)));
      const permuted = JSON.stringify(synthesize(build(upstreams, template, { order })));
      expect(permuted).toEqual(original);
    }), params);
  });

  test('(d) adding an upstream never changes an existing resource\'s logical ID or properties', () => {
    fc.assert(fc.property(validUpstreams(2, 6), optionalTemplate, (upstreams, template) => {
      const before = synthesize(build(upstreams.slice(0, -1), template)).Resources;
      const afterTemplate = synthesize(build(upstreams, template));
      const after = afterTemplate.Resources;
      for (const [logicalId, resource] of Object.entries<any>(before)) {
        expect(Object.keys(after)).toContain(logicalId);
        expect(after[logicalId].Type).toEqual(resource.Type);
        if (resource.Type !== 'AWS::IAM::Policy') {
          expect({ logicalId, properties: after[logicalId].Properties }).toEqual({ logicalId, properties: resource.Properties });
        }
      }
      expect(resourcesOfType(afterTemplate, 'AWS::ECR::PullThroughCacheRule')).toHaveLength(upstreams.length);
    }), params);
  });
});
