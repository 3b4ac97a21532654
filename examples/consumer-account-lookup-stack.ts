import { CfnOutput, DefaultStackSynthesizer, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { IPullThroughCache, PullThroughCache } from '../src';
import { CENTRAL, CONSUMER } from './consumer-account-stacks';

/**
 * The central account's CDK lookup role, made by `cdk bootstrap aws://<central>/<region>
 * --trust-for-lookup <account that runs cdk synth>`. The CLI looks up a stack's context with its
 * synthesizer's lookup role, so a lookup in the central account needs one of that account.
 */
export const CENTRAL_LOOKUP_ROLE = `arn:\${AWS::Partition}:iam::${CENTRAL.account}:role/cdk-hnb659fds-lookup-role-${CENTRAL.account}-${CENTRAL.region}`;

/**
 * A workload account that finds the central cache with a lookup instead of copying its upstream
 * list: the rules' prefixes and registries come from the central account at synth time, and the
 * answers are kept in cdk.context.json (examples/consumer-account-lookup/).
 */
export class LookupConsumerStack extends Stack {
  public readonly cache: IPullThroughCache;
  public readonly taskDefinition: ecs.FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { ...props, env: CONSUMER, synthesizer: new DefaultStackSynthesizer({ lookupRoleArn: CENTRAL_LOOKUP_ROLE }) });
    this.cache = PullThroughCache.fromLookup(this, 'SharedCache', { account: CENTRAL.account, region: CENTRAL.region });

    // Fargate pulls the image with the task's execution role, which containerImage grants.
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', { cpu: 256, memoryLimitMiB: 512 });
    this.taskDefinition.addContainer('web', { image: this.cache.containerImage('nginx:1.27') });

    new CfnOutput(this, 'NodeExporterImage', { value: this.cache.imageUri('quay.io/prometheus/node-exporter:v1.8.1') });
  }
}
