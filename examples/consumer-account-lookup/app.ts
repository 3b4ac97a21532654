import { App } from 'aws-cdk-lib';
import { LookupConsumerStack } from '../consumer-account-lookup-stack';

// A workload account that looks the central cache up. Run from this directory, the CDK CLI reads
// the lookups' answers from cdk.context.json (committed, as `cdk synth` against the central
// account left it), so synthesizing needs no AWS access.
const app = new App();
new LookupConsumerStack(app, 'PullThroughCacheLookupConsumer');
app.synth();
