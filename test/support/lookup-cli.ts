import * as path from 'path';
import { App } from 'aws-cdk-lib';

/*
 * The CDK CLI's own context loop, run in-process: `ContextAwareCloudAssemblySource` of the aws-cdk
 * package (the one integ-runner brings) synthesizes, hands the missing context to the CLI's
 * context providers (the real Cloud Control provider among them), stores the answers and
 * synthesizes again until nothing is missing. Only AWS is fake: `FakeCloudControl` answers
 * `GetResource` and `ListResources` from a list of rules, as Cloud Control does for
 * `AWS::ECR::PullThroughCacheRule` (write-only properties left out; `listedProperties` says what a
 * listed model carries besides the identifier).
 */

// The package exports only its CLI; its library bundle is read by path (test code only).
const integRunner = path.dirname(require.resolve('@aws-cdk/integ-runner/package.json'));
const cliPackage = require.resolve('aws-cdk/package.json', { paths: [integRunner] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cli = require(path.join(path.dirname(cliPackage), 'lib', 'index.js'));

/** An AWS environment, as the CLI passes it. */
interface Environment {
  readonly account: string;
  readonly region: string;
}

/** A pull-through cache rule as the ECR API holds it. */
export interface FakeRule {
  readonly EcrRepositoryPrefix: string;
  readonly UpstreamRegistryUrl: string;
  readonly UpstreamRepositoryPrefix?: string;
  readonly UpstreamRegistry?: string;
  readonly CredentialArn?: string;
  readonly CustomRoleArn?: string;
}

/** Cloud Control never returns a write-only property (AWS::ECR::PullThroughCacheRule's schema). */
const WRITE_ONLY = ['CredentialArn', 'UpstreamRegistry', 'CustomRoleArn'];

/** A call the fake received, with the environment and role the CLI would have used. */
export interface FakeCall {
  readonly operation: 'GetResource' | 'ListResources';
  readonly account: string;
  readonly region: string;
  readonly assumeRoleArn?: string;
  readonly identifier?: string;
}

/** AWS's side: the rules of each `account/region`. */
export class FakeCloudControl {
  public readonly calls: FakeCall[] = [];

  constructor(
    private readonly rules: { [accountRegion: string]: FakeRule[] },
    private readonly listedProperties: string[] = [],
  ) {}

  /** The CLI's SdkProvider: `forEnvironment` gives an SDK whose `cloudControl()` is this fake. */
  public sdkProvider(): unknown {
    return {
      resolveEnvironment: async (env: Environment) => env,
      baseCredentialsPartition: async () => 'aws',
      forEnvironment: async (env: Environment, _mode: number, creds?: { assumeRoleArn?: string }) => ({
        sdk: { cloudControl: () => this.client(env, creds?.assumeRoleArn) },
        didAssumeRole: creds?.assumeRoleArn !== undefined,
      }),
    };
  }

  private client(env: Environment, assumeRoleArn?: string) {
    const rules = this.rules[`${env.account}/${env.region}`] ?? [];
    const readable = (rule: FakeRule) => Object.fromEntries(Object.entries(rule).filter(([k]) => !WRITE_ONLY.includes(k)));
    return {
      getResource: async (input: { TypeName: string; Identifier: string }) => {
        this.calls.push({ operation: 'GetResource', account: env.account, region: env.region, assumeRoleArn, identifier: input.Identifier });
        const rule = input.TypeName === 'AWS::ECR::PullThroughCacheRule' ? rules.find(r => r.EcrRepositoryPrefix === input.Identifier) : undefined;
        if (!rule) {
          const message = `Resource of type '${input.TypeName}' with identifier '${input.Identifier}' was not found.`;
          throw Object.assign(new Error(message), { name: 'ResourceNotFoundException' });
        }
        const description = { Identifier: rule.EcrRepositoryPrefix, Properties: JSON.stringify(readable(rule)) };
        return { TypeName: input.TypeName, ResourceDescription: description };
      },
      listResources: async (input: { TypeName: string }) => {
        this.calls.push({ operation: 'ListResources', account: env.account, region: env.region, assumeRoleArn });
        const listed = input.TypeName === 'AWS::ECR::PullThroughCacheRule' ? rules : [];
        return {
          TypeName: input.TypeName,
          ResourceDescriptions: listed.map(rule => ({
            Identifier: rule.EcrRepositoryPrefix,
            Properties: JSON.stringify(Object.fromEntries(Object.entries(readable(rule))
              .filter(([k]) => k === 'EcrRepositoryPrefix' || this.listedProperties.includes(k)))),
          })),
        };
      },
    };
  }
}

/** What `synthWithLookups` ends with. */
export interface LookupRun {
  /** The last synthesis's app. */
  readonly app: App;
  /** The context the CLI gathered (cdk.context.json's content). */
  readonly context: { [key: string]: unknown };
  /** How many times the app was synthesized. */
  readonly syntheses: number;
}

/**
 * Synthesize the app `build` makes as `cdk synth` does: again with the CLI's answers while
 * context is missing.
 */
export async function synthWithLookups(build: (context: { [key: string]: unknown }) => App, aws: FakeCloudControl): Promise<LookupRun> {
  const context: { [key: string]: unknown } = {};
  let app: App | undefined;
  let syntheses = 0;
  const source = {
    produce: async () => {
      app = build({ ...context });
      syntheses++;
      const assembly = app.synth();
      return {
        cloudAssembly: assembly,
        _unlock: async () => {},
        dispose: async () => {},
        [Symbol.asyncDispose]: async () => {},
      };
    },
  };
  const quiet = async () => {};
  const loop = new cli.ContextAwareCloudAssemblySource(source, {
    services: {
      sdkProvider: aws.sdkProvider(),
      pluginHost: { contextProviderPlugins: {} },
      ioHelper: { notify: quiet, requestResponse: quiet, defaults: { debug: quiet, trace: quiet, info: quiet, warn: quiet, error: quiet } },
    },
    contextStore: { update: async (updates: { [key: string]: unknown }) => Object.assign(context, updates) },
    lookups: true,
  });
  await loop.produce();
  return { app: app!, context, syntheses };
}
