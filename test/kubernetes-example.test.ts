import { App, CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DOMAIN } from './support/cache-fixtures';
import { KubernetesStack } from '../examples/kubernetes-stack';

// The example uses aws-eks-v2 (EKS Auto Mode), which the floor of the supported range (2.221)
// lacks: this file is in NEEDS_NEWER_CDK (.projenrc.ts), so it runs on the pinned and the newest
// aws-cdk-lib only (`test`, `test:newest-cdk`).
describe('the Kubernetes example (EKS Auto Mode and Fargate, aws-eks-v2)', () => {
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
        .filter(p => p.Properties.Roles.some((r: any) => r.Ref === stack.getLogicalId(role.node.defaultChild as CfnElement)))
        .flatMap(p => p.Properties.PolicyDocument.Statement);
      const actions = statements.flatMap((s: any) => [].concat(s.Action));
      expect(actions).toEqual(expect.arrayContaining(['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository', 'ecr:GetAuthorizationToken']));
    }
  });
});
