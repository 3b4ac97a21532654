import { AspectPriority, Aspects, CfnResource, IAspect, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { NODE_SCRIPT_MARK } from './node-script';
import { api, warn } from '../../core/private/diagnostics';
import { flatten } from '../../images/private/lambda-images';

/** The user data of a managed node group's launch template, as EKS documents it. */
const LAUNCH_TEMPLATE_DOC = 'https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#launch-template-user-data';

/**
 * Warns on an EKS managed node group whose launch template (of the same stack) has the node script
 * in user data that is not MIME multi-part (`cdk-pull-through-cache:nodeScriptUserDataNotMime`):
 * EKS refuses it at deploy time. An aspect, since the node group usually comes after the script.
 *
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
 */
export class NodeGroupUserDataCheck implements IAspect {
  private readonly visited = new WeakSet<IConstruct>();

  public visit(node: IConstruct): void {
    if (!isCfn(node, 'AWS::EKS::Nodegroup') || this.visited.has(node)) {
      return;
    }
    this.visited.add(node);
    // The L1 properties, read by name.
    const stack = Stack.of(node);
    const amiType: unknown = stack.resolve((node as any).amiType);
    if (amiType !== undefined && !(typeof amiType === 'string' && amiType.startsWith('AL2'))) {
      return; // Bottlerocket, Windows, a custom AMI: the script is not for them, or EKS does not merge
    }
    const launchTemplate = findLaunchTemplate(stack, stack.resolve((node as any).launchTemplate));
    if (launchTemplate === undefined) {
      return;
    }
    const data = stack.resolve((launchTemplate as any).launchTemplateData);
    if (data === null || typeof data !== 'object' || data.ImageId !== undefined || data.imageId !== undefined) {
      return; // a custom AMI: EKS passes the user data as it is
    }
    const userData = data.UserData ?? data.userData;
    const text = flatten(userData?.['Fn::Base64'] ?? userData);
    if (text === undefined || !text.includes(NODE_SCRIPT_MARK) || isMimeMultipart(text)) {
      return;
    }
    const parent = node.node.scope;
    const target = parent !== undefined && parent.node.defaultChild === node ? parent : node;
    warn(target, 'nodeScriptUserDataNotMime',
      `the launch template '${launchTemplate.node.path}' of this managed node group has ${api('containerdNodeScript()')} in user data `
      + 'that is not MIME multi-part: EKS merges a managed node group\'s user data with its own and refuses the launch template at deployment '
      + 'unless it is a MIME multi-part document (Amazon Linux 2023 nodes read it with nodeadm). '
      + 'Give the launch template an ec2.MultipartUserData with the script as a shell part (content type text/x-shellscript, '
      + `added with ${api('addPart')} and ${api('MultipartBody.fromRawBody')}), as the EKS managed node group example of docs/nodes.md does; see ${LAUNCH_TEMPLATE_DOC}`,
    );
  }
}

/** The apps that have the check: one aspect per app, however many scripts it makes. */
const CHECKED = new WeakSet<IConstruct>();

/** Check every managed node group of the scope's app, once per app. */
export function checkNodeGroupUserData(scope: IConstruct): void {
  const root = scope.node.root;
  if (!CHECKED.has(root)) {
    CHECKED.add(root);
    Aspects.of(root).add(new NodeGroupUserDataCheck(), { priority: AspectPriority.READONLY });
  }
}

/** The launch template a node group's `launchTemplate` names by `Ref` to a resource of its stack. */
function findLaunchTemplate(stack: Stack, spec: any): CfnResource | undefined {
  const ref = spec?.Id?.Ref ?? spec?.id?.Ref;
  const name = spec?.Name ?? spec?.name;
  return stack.node.findAll().find((c): c is CfnResource => isCfn(c, 'AWS::EC2::LaunchTemplate')
    && Stack.of(c) === stack
    && ((typeof ref === 'string' && stack.getLogicalId(c) === ref)
      || (typeof name === 'string' && !Token.isUnresolved((c as any).launchTemplateName) && (c as any).launchTemplateName === name)));
}

/** A CloudFormation resource of a type, seen without its class (another copy of aws-cdk-lib may have made it). */
function isCfn(node: IConstruct, type: string): node is CfnResource {
  return CfnResource.isCfnResource(node) && node.cfnResourceType === type;
}

/** Whether user data is a MIME document: headers first, a multipart content type among them. */
function isMimeMultipart(text: string): boolean {
  const headers = text.replace(/^\s+/, '').split(/\r?\n\r?\n/)[0];
  return /^content-type:\s*multipart\//im.test(headers) && /^(mime-version|content-type):/i.test(headers);
}
