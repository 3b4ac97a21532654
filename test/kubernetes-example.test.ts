import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DOMAIN } from './cache-fixtures';

// The example uses aws-eks-v2 (EKS Auto Mode), which older aws-cdk-lib releases of the supported
// range (2.221) lack: there this file checks only that, and the example is synthesized by the runs
// on the pinned and the newest aws-cdk-lib (`test`, `test:newest-cdk`).
let eksV2 = true;
try {
  require.resolve('aws-cdk-lib/aws-eks-v2');
} catch {
  eksV2 = false;
}

if (!eksV2) {
  test('this aws-cdk-lib has no aws-eks-v2 and is older than the pinned 2.257.0', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const [major, minor] = String(require('aws-cdk-lib/package.json').version).split('.').map(Number);
    expect(major === 2 && minor < 257).toBe(true);
  });
}

const describeWithEksV2 = eksV2 ? describe : (_name: string, _body: () => void) => undefined;

describeWithEksV2('the Kubernetes example (EKS Auto Mode and Fargate, aws-eks-v2)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KubernetesStack } = require('../examples/kubernetes-stack');
  const app = new App();
  const stack = new KubernetesStack(app, 'Kubernetes', {
    env: { account: '111122223333', region: 'eu-west-1' },
    kubectlLayerArn: 'arn:aws:lambda:eu-west-1:111122223333:layer:kubectl:1',
  });
  const template = Template.fromStack(stack);

  test('the manifest is the MutatingAdmissionPolicy and its binding', () => {
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const bodies = Object.values<any>(manifests).map(m => JSON.stringify(m.Properties.Manifest));
    const rewrite = bodies.find(b => b.includes('MutatingAdmissionPolicy'));
    expect(rewrite).toBeDefined();
    expect(rewrite).toContain('MutatingAdmissionPolicyBinding');
    expect(rewrite).toContain(DOMAIN);
  });

  test('Auto Mode with the node role, and a Fargate profile', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ComputeConfig: Match.objectLike({ Enabled: true, NodeRoleArn: Match.anyValue() }),
    });
    template.resourceCountIs('AWS::EKS::FargateProfile', 1);
  });

  test('a private API endpoint, every control-plane log, no public IPs and VPC flow logs (cdk-nag EKS1, EKS2, VPC7)', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPublicAccess: false, EndpointPrivateAccess: true }),
      Logging: {
        ClusterLogging: {
          EnabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map(type => ({ Type: type })),
        },
      },
    });
    for (const subnet of Object.values<any>(template.findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('the node role and the pod execution role may pull through the cache, first pulls included', () => {
    for (const role of [stack.nodeRole, stack.fargateProfile.podExecutionRole]) {
      const statements = Object.values<any>(template.findResources('AWS::IAM::Policy'))
        .filter(p => p.Properties.Roles.some((r: any) => r.Ref === stack.getLogicalId(role.node.defaultChild)))
        .flatMap(p => p.Properties.PolicyDocument.Statement);
      const actions = statements.flatMap((s: any) => [].concat(s.Action));
      expect(actions).toEqual(expect.arrayContaining(['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository', 'ecr:GetAuthorizationToken']));
    }
  });
});
