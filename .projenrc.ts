import { awscdk, DependencyType, github, javascript } from 'projen';

// The peer floor: the lowest aws-cdk-lib the library needs. 2.221.0 is the first release with
// ecr.ImageTagMutabilityExclusionFilter, which RepositoryTemplateOptions takes (public API); src/
// type-checks against 2.216.0-2.220.x but for that class (a library-owned filter type would lower
// the floor to 2.216.0, at the cost of an API change); 2.215.0 lacks TagMutability.*_WITH_EXCLUSION.
// `npx projen test:floor-cdk` type-checks src/ and runs jest at this floor.
const CDK_FLOOR = '2.221.0';
const CONSTRUCTS_FLOOR = '10.5.1';
// What this repository builds and tests with (a dev dependency only): aws-cdk-lib 2.257.0 is the
// newest release whose cloud assembly the newest @aws-cdk/integ-runner we can install (2.197.x)
// still reads.
const CDK_DEV_VERSION = '2.257.0';
// Test files that need a newer aws-cdk-lib than CDK_FLOOR: the floor run leaves them out (they run
// in `test` and `test:newest-cdk`). Say why beside each.
const NEEDS_NEWER_CDK: string[] = [
  // cdk-nag 3 runs its packs as a policy validation plugin and reads `Validations` metadata; its
  // peer range is aws-cdk-lib ^2.257.0, and 2.221.0 has no `Validations`.
  'test/nag.test.ts',
  // The Kubernetes example builds an EKS Auto Mode cluster with aws-eks-v2, which 2.221.0 lacks.
  'test/kubernetes-example.test.ts',
];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-pull-through-cache',
  description:
    'An AWS CDK L3 construct for Amazon ECR pull-through cache: rules per upstream registry (Docker Hub, GHCR, registry.k8s.io, Quay, ...), credentials, repository creation templates and least-privilege grants.',
  author: 'cdk-pull-through-cache maintainers',
  authorAddress: 'maintainers@users.noreply.github.com',
  authorOrganization: true,
  repositoryUrl: 'https://github.com/cdk-pull-through-cache/cdk-pull-through-cache.git',
  homepage: 'https://github.com/cdk-pull-through-cache/cdk-pull-through-cache',
  license: 'Apache-2.0',
  stability: 'experimental',
  keywords: [
    'awscdk',
    'aws-cdk',
    'cdk',
    'construct',
    'ecr',
    'pull-through-cache',
    'container-registry',
    'docker-hub',
    'ghcr',
    'quay',
    'kubernetes',
  ],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  // package.json's `files` allow-list (below) decides what is packed; an .npmignore deny-list
  // beside it would only mislead.
  npmignoreEnabled: false,
  projenrcTs: true,

  // Peer range ^CDK_FLOOR; the dev dependency is CDK_DEV_VERSION (below), not the floor.
  cdkVersion: CDK_FLOOR,
  constructsVersion: CONSTRUCTS_FLOOR,
  peerDependencyOptions: { pinnedDevDependency: false },
  jsiiVersion: '~6.0.0',
  // No runtime dependencies: aws-cdk-lib and constructs are peers.
  deps: [],
  devDeps: [
    // The CDK CLI that synthesizes the example app. The npm `latest` tag (3.0.0) is an older
    // release line that cannot read what aws-cdk-lib 2.257.0 writes.
    'aws-cdk@^2.1148.0',
    // integ-runner 2.197.x is the newest served here; it reads the cloud assembly of 2.257.0.
    '@aws-cdk/integ-runner@^2.197.10',
    // The newest integ-tests-alpha served here; its peer range accepts aws-cdk-lib 2.257.0.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'cdk-nag@^3.0.2',
    'fast-check@^4.10.2',
    // Reads what the Kyverno CLI writes (scripts/kubernetes/rewrite-check.ts).
    'yaml@^2.8.0',
    // The StackSets example (examples/stacksets.ts): cdklabs' StackSet construct; its peer range
    // (aws-cdk-lib ^2.108.0) accepts the pinned aws-cdk-lib.
    'cdk-stacksets@^0.0.153',
  ],

  // The top-level dev tsconfig covers src/, test/, examples/ and .projenrc.ts.
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    compilerOptions: {},
    // `**` does not match dot files.
    include: ['.projenrc.ts'],
  },

  publishToPypi: {
    distName: 'cdk-pull-through-cache',
    module: 'cdk_pull_through_cache',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkpullthroughcache',
    mavenGroupId: 'io.github.cdk-pull-through-cache',
    mavenArtifactId: 'cdk-pull-through-cache',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkPullThroughCache',
    packageId: 'CdkPullThroughCache',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-pull-through-cache/cdk-pull-through-cache-go',
    packageName: 'cdkpullthroughcache',
  },

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'scripts', 'projenrc', '.projenrc.ts'],
    // One typed-lint project for sources, tests and examples.
    tsconfigPath: './tsconfig.dev.json',
    // Lint fails on what it finds, in CI too; `npx projen eslint:fix` fixes what it can.
    commandOptions: { fix: false },
    projectService: false,
  },

  jestOptions: {
    // Snapshots are written on purpose by a developer (`npx projen test:update`), never by CI.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '\\.snapshot/'],
      // The edit loop's speed (TESTMAP.md, "Two speeds"): no coverage report, which nothing reads
      // and which tripled the suite's CPU time (v8 coverage, one worker: 197 s against 66 s);
      // `npx jest --coverage` writes it on demand.
      collectCoverage: false,
      // One worker per core. Jest's default (cores - 1) is 1 on a 2-core machine, which runs every
      // suite in one process, one after the other: 64 s there against 52 s on 2 workers (a machine
      // shared with other jobs, load 2.5 to 5).
      maxWorkers: '100%',
    },
  },

  gitignore: [
    '.jsii.tabl.json',
    'cdk.out/',
    // integ-runner writes asset bundles next to the snapshots; the templates are what we review.
    '**/*.snapshot/asset.*',
    '.venv/',
    'examples/cdk.out/',
    'examples/cdk.out.multi-region/',
    'examples/cdk.out.fargate/',
    'examples/cdk.out.consumer-account/',
    'examples/cdk.out.consumer-account-lookup/',
    // Older checkouts installed the newest aws-cdk-lib here; scripts/test-newest-cdk.sh now
    // installs it outside the repository.
    '.cdk-newest/',
    '/consumers/java/target/',
    '/consumers/*/.result',
    '/consumers/python/.pytest-junit.xml',
    '/consumers/go/.go-test.json',
  ],
});

// The dev dependencies of the peers (not pinned to the floor: see CDK_DEV_VERSION). Added after the
// constructor, which drops a constructs build dependency given in `devDeps`.
project.deps.addDependency(`aws-cdk-lib@${CDK_DEV_VERSION}`, DependencyType.BUILD);
project.deps.addDependency(`constructs@${CONSTRUCTS_FLOOR}`, DependencyType.BUILD);

// A maintainer's second opinion on every lint: no import cycle (type-only imports included in
// spirit; eslint-plugin-import counts value imports), and no deprecated aws-cdk-lib API, which
// prints a warning in users' synth and fails it under JSII_DEPRECATED=fail.
project.eslint?.addRules({
  'import/no-cycle': ['error', { ignoreExternal: true }],
  '@typescript-eslint/no-deprecated': 'error',
});

// The main job: synthesize the bundled example app (the reference use case) with the CDK CLI and
// print its CloudFormation template.
project.addTask('example', {
  description: 'Synthesize the example app (examples/app.ts) and print its CloudFormation template',
  env: { TS_NODE_PROJECT: 'tsconfig.dev.json' },
  exec: 'cdk synth --app "ts-node --prefer-ts-exts examples/app.ts" --output examples/cdk.out --no-notices --no-version-reporting --path-metadata false',
});

// test:docs (in `npx projen test:all`) proves that jsii compiles the library, that API.md is
// current and that every snippet in README.md, the guides (docs/*.md) and every @example compiles
// (jsii-rosetta, strict; scripts/rosetta-extract.ts adds the guides, which are not in the assembly).
// The machines here run Node 20, which jsii calls end-of-life at every step; say it once, here.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
// The Go of README, guide and @example snippets is ours (consumers/go/snippets, compiled by the Go
// consumer), not rosetta's, which does not compile: written into rosetta's tablet, where
// jsii-pacmak (the Go module's README and doc comments) and jsii-docgen read translations.
const goSnippetsEnv = { TS_NODE_PROJECT: 'tsconfig.dev.json', TS_NODE_TRANSPILE_ONLY: '1' };
const goSnippets = project.addTask('docs:go-snippets', {
  description: 'Write the hand-written Go snippets (consumers/go/snippets) into rosetta\'s tablet; fails on Go whose TypeScript snippet changed',
  env: goSnippetsEnv,
  exec: 'ts-node scripts/go-snippets.ts inject',
});
// The API reference in each jsii language (API.md is TypeScript's), linked from README.
const apiDocs = project.addTask('docs:api', {
  description: 'Write the API reference for Python, Java, C# and Go (docs/api/API.<language>.md)',
  steps: [
    { spawn: goSnippets.name },
    { exec: 'jsii-docgen -l python -l java -l csharp -l go -o docs/api/API.md' },
  ],
});
project.tasks.tryFind('docgen')?.spawn(apiDocs);
const docsCheck = project.addTask('test:docs', {
  description: 'Compile with jsii, compile every README, guide (docs/*.md) and @example snippet, check API.md and docs/api/ are current, check Construct Hub readiness',
  env: goSnippetsEnv,
  steps: [
    { spawn: 'compile' },
    { exec: 'ts-node scripts/rosetta-extract.ts' },
    { spawn: goSnippets.name },
    { exec: 'bash scripts/check-api-md.sh' },
    // Construct Hub: jsii-docgen renders the Python and Go pages; package.json and README metadata.
    { exec: 'bash scripts/check-construct-hub.sh' },
  ],
});
// System tools the tests run (shellcheck, systemd-analyze, strace): installed first when missing.
const ensureTools = 'bash scripts/ensure-tools.sh';

// Tools we did not write, in `npx projen test:all`: cfn-lint over a matrix of configurations,
// and integ-runner checking the committed integ snapshots (cdk-nag and the property tests are
// jest files). ts-node without type checks: test:types and eslint already check these files.
const tsEnv = { TS_NODE_PROJECT: 'tsconfig.dev.json', TS_NODE_TRANSPILE_ONLY: '1' };
const cfnLint = project.addTask('test:cfn-lint', {
  description: 'cfn-lint every template of the configuration matrix (test/support/matrix.ts)',
  exec: 'bash scripts/cfn-lint.sh',
});
const integ = project.addTask('integ', {
  description: 'Check the integ test snapshots are current (no deployment)',
  env: tsEnv,
  exec: 'integ-runner --directory test --language typescript',
});
project.addTask('integ:update', {
  description: 'Rewrite changed integ snapshots (no deployment)',
  env: tsEnv,
  exec: 'integ-runner --directory test --language typescript --update-on-failed --dry-run',
});
project.addTask('update-safety', {
  description: 'List the resources that deploying <after.json> over <before.json> would replace',
  env: tsEnv,
  exec: 'ts-node scripts/update-safety.ts',
  receiveArgs: true,
});

// The picture of the dashboard in docs/operations.md, drawn from the synthesized dashboard body of
// examples/operations-stack.ts; test/dashboard.test.ts fails when the committed SVG differs.
project.addTask('docs:dashboard', {
  description: 'Draw the reference cache\'s dashboard layout (docs/dashboard.svg) from its synthesized body',
  env: tsEnv,
  exec: 'ts-node scripts/dashboard-svg.ts',
});

// Words per TSDoc block (issue 17: aws-cdk-lib density, under 30 on average, none over 100);
// `npx projen docs:density node_modules/aws-cdk-lib/aws-ecr/lib/repository.d.ts` measures aws-ecr.
project.addTask('docs:density', {
  description: 'Count the words of every TSDoc block in src/ (or the files given): average, blocks over 100 words, the longest',
  env: tsEnv,
  exec: 'ts-node scripts/tsdoc-density.ts',
  receiveArgs: true,
});

// Figures, not a timed test: synth time, template size and grantPull policy size against the same
// resources written with L1 classes, for 1 to 50 upstreams.
project.addTask('bench', {
  description: 'Compare synth time, template size and grantPull policy size with the same resources written with L1 classes',
  env: tsEnv,
  exec: 'ts-node scripts/bench.ts',
});
project.addTask('example:fargate', {
  description: 'Synthesize the Fargate example (images through the cache, execution role grants)',
  env: { TS_NODE_PROJECT: 'tsconfig.dev.json' },
  exec: 'cdk synth --app "ts-node --prefer-ts-exts examples/fargate.ts" --output examples/cdk.out.fargate --no-notices --no-version-reporting --path-metadata false',
});
project.addTask('example:consumer-account', {
  description: 'Synthesize the consumer-account example (a central cache and a workload account that imports it)',
  env: { TS_NODE_PROJECT: 'tsconfig.dev.json' },
  exec: 'cdk synth --app "ts-node --prefer-ts-exts examples/consumer-account.ts" --output examples/cdk.out.consumer-account --no-notices --no-version-reporting --path-metadata false',
});
// Run where a consumer project's root would be: the CLI reads the committed cdk.context.json there;
// --lookups false makes a stale context fail instead of calling AWS.
project.addTask('example:consumer-account-lookup', {
  description: 'Synthesize the lookup consumer example (fromLookup, answers in its committed cdk.context.json, no AWS)',
  cwd: 'examples/consumer-account-lookup',
  env: { TS_NODE_PROJECT: '../../tsconfig.dev.json' },
  exec: 'cdk synth --app "ts-node --prefer-ts-exts app.ts" --output ../cdk.out.consumer-account-lookup --no-notices --no-version-reporting --path-metadata false --lookups false --quiet',
});
project.addTask('example:multi-region', {
  description: 'Synthesize the multi-region example (one Stage per region)',
  env: { TS_NODE_PROJECT: 'tsconfig.dev.json' },
  exec: 'cdk synth --app "ts-node --prefer-ts-exts examples/multi-region.ts" --output examples/cdk.out.multi-region --no-notices --no-version-reporting --path-metadata false --quiet',
});

project.addTask('eslint:fix', {
  description: 'Fix what eslint can fix',
  env: { ESLINT_USE_FLAT_CONFIG: 'false' },
  exec: 'eslint --ext .ts,.tsx --fix --no-error-on-unmatched-pattern src test examples scripts projenrc .projenrc.ts',
});

// Every language's package is built here (package-all), and used by a real consumer app.
// - .NET: no SDK on our machines: generate the code without building the NuGet package; machines
//   with `dotnet` (the release workflow's) build the .nupkg. test:consumers:dotnet checks the code.
// - Go: jsii-pacmak's own `go mod tidy` cannot resolve versions the Go proxy here refuses, so it
//   generates code only; consumers/go/go.mod builds it with explicit replaces.
// - Java: resolve into the user's Maven repository instead of a throwaway one per run.
project.tasks.tryFind('package:dotnet')?.reset('bash scripts/package-dotnet.sh');
project.tasks.tryFind('package:go')?.reset();
project.tasks.tryFind('package:go')?.spawn(goSnippets);
project.tasks.tryFind('package:go')?.exec('jsii-pacmak -v --target go --code-only');
project.tasks.tryFind('package:java')?.reset('jsii-pacmak -v --target java --maven-local-repository="$HOME/.m2/repository"');

// awscdk/v2@v2.257.0 is missing from the Go checksum database the proxy serves: skip the lookup for
// that module only; go.sum still pins its hash.
const goEnv = { GONOSUMDB: 'github.com/aws/aws-cdk-go/awscdk', GOFLAGS: '-mod=mod' };
project.addTask('test:consumers:python', {
  description: 'Use the wheel from a Python CDK app (fresh venv, pytest)',
  exec: 'bash scripts/consumers/python.sh',
});
project.addTask('test:consumers:go', {
  description: 'Use the generated Go module from a Go CDK app (go test)',
  env: goEnv,
  exec: 'bash scripts/consumers/go.sh',
});
project.addTask('test:consumers:java', {
  description: 'Use the jar from a Java CDK app (Maven, JUnit 5)',
  exec: 'bash scripts/consumers/java.sh',
});
project.addTask('test:consumers:dotnet', {
  description: 'Check the generated .NET code',
  exec: 'bash scripts/consumers/dotnet-codegen.sh',
});
const consumers = project.addTask('test:consumers', {
  description: 'Build the Python, Java and Go packages once and run every consumer app',
  env: goEnv,
  steps: [{ exec: 'bash scripts/consumers/all.sh' }, { spawn: 'test:consumers:dotnet' }],
});

// Nodes really pull through the cache (issue 10): the boot script of containerdNodeScript() runs
// as root in a mount namespace, then containerd's own resolver pulls through a fake ECR on
// loopback (test/node-e2e, a Go module). Needs root, unshare, shellcheck and systemd-analyze.
const nodeE2e = project.addTask('test:node-e2e', {
  description: 'Run the node boot script and pull with containerd\'s resolver through a fake ECR (Go, root)',
  env: { ...tsEnv, GOFLAGS: '-mod=mod' },
  exec: 'bash scripts/node-e2e.sh',
});

// CachedImages pulls through a real registry (issue 19): the handler's compiled pulling code runs
// with node against a CNCF distribution pull-through proxy of a second distribution registry on
// loopback, with faults injected (test/warm-up, a Go module).
const warmUp = project.addTask('test:warm-up', {
  description: 'Run the CachedImages pulling code against a distribution pull-through proxy on loopback (Go, node)',
  env: { GOFLAGS: '-mod=mod' },
  exec: 'bash scripts/warm-up.sh',
});

// Pods' images rewritten at admission (issue 18): kubernetesImageRewrite()'s policies applied by
// Kyverno's own engine (the CLI built from source, cached under ~/.cache/cdk-pull-through-cache)
// to 102 pods for four caches and both engines, then again to prove the rewrite idempotent.
const kubernetes = project.addTask('test:kubernetes', {
  description: 'Apply kubernetesImageRewrite()\'s Kyverno MutatingPolicy and MutatingAdmissionPolicy with the Kyverno CLI to a table of pods',
  env: { ...tsEnv, GOFLAGS: '-mod=mod' },
  exec: 'bash scripts/kubernetes/check.sh',
});

// Both ends of the peer range, besides `test` on the dev dependency (CDK_DEV_VERSION): jest on the
// newest aws-cdk-lib 2.x and constructs 10.x npm serves, with JSII_DEPRECATED=fail; then the
// library type-checked and jest run on the floor (the lowest versions of the peer range).
const newestCdk = project.addTask('test:newest-cdk', {
  description: 'Run jest against the newest aws-cdk-lib 2.x and constructs 10.x with JSII_DEPRECATED=fail',
  exec: 'bash scripts/test-other-cdk.sh newest',
});
const floorCdk = project.addTask('test:floor-cdk', {
  description: `Type-check src/ and run jest against the peer floor (aws-cdk-lib ${CDK_FLOOR}, constructs ${CONSTRUCTS_FLOOR})`,
  env: { CDK_NEEDS_NEWER: NEEDS_NEWER_CDK.join(' ') },
  exec: 'bash scripts/test-other-cdk.sh floor',
});

// Every README, guide and @example snippet as jsii-rosetta translated it, checked against the packages
// test:consumers built: Python (mypy, synth), Java (javac), Go (ours, from consumers/go/snippets: parsed, compiled).
const translations = project.addTask('test:translations', {
  description: 'Check the translations of every README, guide (docs/*.md) and @example snippet (rosetta\'s Python: mypy + synth, Java: javac; our Go: go build)',
  env: goEnv,
  exec: 'bash scripts/translations/check.sh',
});

// The release task up to, not including, publishing, on the tree the whole suite leaves: version
// and changelog, every jsii package, their sizes, the wheel imported in a fresh venv.
const releaseRehearsal = project.addTask('release:rehearsal', {
  description: 'Bump, build and package every language as a release would (no publishing), check the artifacts\' sizes, import the wheel',
  exec: 'bash scripts/release-rehearsal.sh',
});

// The GitHub workflows checked with actionlint (built from source into the cache when missing).
const workflowsCheck = project.addTask('test:workflows', {
  description: 'Check .github/workflows with actionlint (and shellcheck on their scripts)',
  exec: 'bash scripts/actionlint.sh',
});

// Two speeds. `test`, the edit loop (under 3 minutes warm): the types of every TypeScript file
// (ts-jest only transpiles), eslint, then one jest run on the pinned aws-cdk-lib, cheapest first.
// `test:all`, the whole suite (README, .ci/run, the build workflow): the same, then the slower
// checks of our output by tools we did not write, then the other aws-cdk-libs, the end-to-end
// tests, the other languages and a release rehearsal; each stage before the slower ones it gates.
const typesCheck = project.addTask('test:types', {
  description: 'Type-check src, test, examples, scripts and .projenrc.ts (tsconfig.dev.json; jest only transpiles)',
  exec: 'tsc --noEmit -p tsconfig.dev.json',
});
project.testTask.reset(ensureTools);
project.testTask.spawn(typesCheck);
project.testTask.spawn(project.eslint!.eslintTask);
project.testTask.exec('jest --passWithNoTests --ci', { receiveArgs: true });

project.addTask('test:all', {
  description: 'Everything: the workflows (actionlint), the test task, jsii/API.md/README snippets, cfn-lint, the integ snapshots, jest on the newest and on the floor aws-cdk-lib, the node end-to-end test, the CachedImages warm-up against real registries, the Kubernetes image rewrite under Kyverno, the consumer apps in every language, the snippet translations, then a release rehearsal',
  steps: [
    { exec: ensureTools },
    { spawn: workflowsCheck.name },
    { spawn: 'test' },
    { spawn: docsCheck.name },
    { spawn: cfnLint.name },
    { spawn: integ.name },
    { spawn: newestCdk.name },
    { spawn: floorCdk.name },
    { spawn: nodeE2e.name },
    { spawn: warmUp.name },
    { spawn: kubernetes.name },
    { spawn: consumers.name },
    { spawn: translations.name },
    { spawn: releaseRehearsal.name },
  ],
});

// The build workflow checks what .ci/run checks. projen's `build` job (compile, the fast `test`,
// package, self-mutation) gives the quick answer; beside it, in parallel, this job runs .ci/run
// itself: the whole suite (`npx projen test:all`) and its closing count. One job, not one per
// stage: the stages hand each other their outputs (test:docs writes rosetta's tablet, which
// test:translations reads; test:consumers builds the packages in dist/ that the translations and
// the release rehearsal use). Root (sudo), because test:node-e2e runs the boot script in a mount
// namespace. Toolchains as on the machines .ci/run runs on: Node 20, Go 1.26, Python 3.11,
// Java 17 (Temurin) with the runner's Maven; the caches (~/.cache/cdk-pull-through-cache, among
// them the Kyverno CLI, 10 to 16 minutes to build) are kept between runs.
const CHECKOUT = 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1';
project.github?.tryFindWorkflow('build')?.addJobs({
  'test-all': {
    name: 'Whole suite (.ci/run: npx projen test:all)',
    runsOn: ['ubuntu-latest'],
    permissions: { contents: github.workflows.JobPermission.READ },
    timeoutMinutes: 150,
    env: { CI: 'true' },
    steps: [
      {
        name: 'Checkout',
        uses: CHECKOUT,
        with: {
          // The release rehearsal bumps the version from the git history and its tags.
          'fetch-depth': 0,
          'ref': '${{ github.event.pull_request.head.ref }}',
          'repository': '${{ github.event.pull_request.head.repo.full_name }}',
        },
      },
      { name: 'Setup Node.js', uses: 'actions/setup-node@v7.0.0', with: { 'node-version': '20', 'package-manager-cache': false } },
      { name: 'Setup Go', uses: 'actions/setup-go@v7.0.0', with: { 'go-version': '1.26.x', 'cache': false } },
      { name: 'Setup Python', uses: 'actions/setup-python@v7.0.0', with: { 'python-version': '3.11' } },
      { name: 'Setup Java', uses: 'actions/setup-java@v6.0.0', with: { 'distribution': 'temurin', 'java-version': '17' } },
      {
        name: 'Restore the test caches',
        uses: 'actions/cache@v4',
        with: {
          'path': ['~/.cache/cdk-pull-through-cache', '~/go/pkg/mod', '~/.m2/repository'].join('\n'),
          'key': "cdk-ptc-${{ runner.os }}-${{ hashFiles('scripts/**/*.sh', 'test/**/go.sum', 'consumers/**/go.sum', 'consumers/java/pom.xml') }}",
          'restore-keys': 'cdk-ptc-${{ runner.os }}-',
        },
      },
      {
        name: 'Whole suite',
        run: 'sudo --preserve-env env "PATH=$PATH" "HOME=$HOME" bash .ci/run',
      },
    ],
  },
});

// What the npm package (and so every jsii package, which embeds it) holds: an allow-list, so that
// nothing a test, a tool or a user leaves in the working tree can reach a release. npm always adds
// package.json, README.md and LICENSE. Not packed, on purpose:
// - docs/: README links its guides with absolute GitHub URLs (Construct Hub and PyPI render only
//   the README), so the package needs no copy;
// - .jsii.tabl.json, rosetta's tablet: it exists only after `jsii-rosetta extract` ran, so packing
//   it would make the package depend on which tasks ran before; Construct Hub translates the
//   snippets of .jsii itself. (Checked by test/package-contents.test.ts.)
project.package.addField('files', ['lib/**/*.js', 'lib/**/*.d.ts', '.jsii', 'API.md']);

// The StackSets example: a cache in every account of some OUs (examples/stacksets.ts).
project.addTask('example:stacksets', {
  description: 'Synthesize the StackSets example (a cache in every account of some OUs, service-managed)',
  env: { TS_NODE_PROJECT: 'tsconfig.dev.json' },
  exec: 'cdk synth --app "ts-node --prefer-ts-exts examples/stacksets.ts" --output examples/cdk.out.stacksets --no-notices --no-version-reporting --path-metadata false',
});

project.gitignore.exclude('examples/cdk.out.stacksets/');
// jsii-pacmak writes a default .npmignore when it packs; package.json's `files` decides what is
// packed (npm ignores a root .npmignore beside it), so the file is noise.
project.gitignore.exclude('/.npmignore');

project.synth();
