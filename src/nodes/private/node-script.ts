import { Duration, Fn, Token } from 'aws-cdk-lib';
import type { ContainerdMirror } from '../containerd-mirror';
import type { ContainerdNodeScriptOptions } from '../containerd-node-script';
import { hostsToml } from './containerd';
import { api, throwIfInvalid } from '../../core/private/diagnostics';

/**
 * The prefix of each cache's systemd service, timer and program: `ecr-pull-through-cache-auth-<id>`,
 * the id hashed on the node from the values it checked, so several caches can share a node.
 *
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
 */
export const NODE_AUTH_UNIT_PREFIX = 'ecr-pull-through-cache-auth';

/** The hex digits of a cache's id: 64 bits, too many to find a colliding configDirectory. */
const ID_HEX_DIGITS = 16;

/** Where the boot script installs each cache's refresh program. */
export const NODE_AUTH_PROGRAM_DIRECTORY = '/usr/local/sbin';

/** Where the boot script installs the systemd units. */
export const SYSTEMD_UNIT_DIRECTORY = '/etc/systemd/system';

/** EC2 takes at most 16 KB of user data, before base64 encoding (EC2 user guide, "Instance user data"). */
export const EC2_USER_DATA_MAX_BYTES = 16 * 1024;

/** How often the token is refreshed unless told otherwise: half its 12-hour lifetime. */
export const DEFAULT_REFRESH_INTERVAL = Duration.hours(6);

/** ECR authorization tokens last 12 hours; leave an hour for the retries of the last refresh. */
const MAX_REFRESH_SECONDS = 11 * 3600;
const MIN_REFRESH_SECONDS = 5 * 60;

/**
 * Without systemd's reruns (before 244) a failed refresh waits for the timer's next run: two
 * intervals and two runs must fit in the token's 12 hours, so at most 5 hours there.
 */
const MAX_REFRESH_SECONDS_WITHOUT_RERUN = 5 * 3600;

/** Attempts of one refresh, 5, 10, 20 and 40 seconds apart. */
const ATTEMPTS = 5;
const FIRST_RETRY_DELAY_SECONDS = 5;

/**
 * The most one `aws ecr get-authorization-token` may take: a 10-second connect, a 20-second read
 * and 10 seconds to start (the CLI's own retries are off).
 */
const ATTEMPT_TIMEOUT_SECONDS = 40;

/** The longest run: every attempt timed out, plus the backoff (5 + 10 + 20 + 40 s). */
export const WORST_RUN_SECONDS = ATTEMPTS * ATTEMPT_TIMEOUT_SECONDS
  + Array.from({ length: ATTEMPTS - 1 }, (_, i) => FIRST_RETRY_DELAY_SECONDS * 2 ** i).reduce((a, b) => a + b, 0);

/** The service's start timeout, and the bound of the boot script's own run: above the longest run. */
export const START_TIMEOUT_SECONDS = 300;

/** After a failed refresh, systemd runs the service again this much later, until one succeeds. */
const RETRY_AFTER_FAILURE_SECONDS = 300;

/** The first systemd that restarts a `Type=oneshot` service (systemd PR #13754, in 244). */
const MIN_SYSTEMD_FOR_RETRY = 244;

/**
 * The oldest systemd the script supports (Amazon Linux 2's): the service unit itself holds only
 * directives it knows; every newer one is in a drop-in written for the node's systemd.
 */
export const MIN_SYSTEMD = 219;

/**
 * The hardening directives newer than systemd 219, each with the first systemd that knows it. The
 * boot script writes those the node's systemd knows to the drop-in `hardening.conf`: an unknown
 * `SystemCallFilter=` group would allow nothing.
 */
export const HARDENING_DIRECTIVES: ReadonlyArray<readonly [since: number, directive: string]> = [
  [229, 'AmbientCapabilities='],
  [231, 'RestrictRealtime=yes'],
  [232, 'ProtectSystem=strict'],
  [232, 'ReadWritePaths=${config_directory}'],
  [232, 'ProtectKernelTunables=yes'],
  [232, 'ProtectKernelModules=yes'],
  [232, 'ProtectControlGroups=yes'],
  [232, 'RemoveIPC=yes'],
  [233, 'RestrictNamespaces=yes'],
  [235, 'KeyringMode=private'],
  [235, 'LockPersonality=yes'],
  [238, 'ProtectHome=tmpfs'],
  [239, 'PrivateMounts=yes'],
  [239, 'SystemCallFilter=@system-service'],
  [239, 'SystemCallFilter=~@privileged @resources'],
  [242, 'ProtectHostname=yes'],
  [242, 'RestrictSUIDSGID=yes'],
  [244, 'ProtectKernelLogs=yes'],
  [245, 'ProtectClock=yes'],
  [247, 'ProtectProc=invisible'],
  [247, 'ProcSubset=pid'],
];

/**
 * Directories a config directory may not be, nor hold: the service may write its config directory
 * (`ReadWritePaths=`), and these hold units, credentials, or containerd's and kubelet's own
 * configuration. Not exhaustive: choose a directory of containerd's own.
 */
export const SYSTEM_DIRECTORIES = [
  '/etc/systemd/system', '/run/systemd/system', '/etc/sudoers.d', '/etc/cron.d', '/etc/pam.d', '/etc/ssh', '/etc/profile.d',
  '/etc/ld.so.conf.d', '/etc/containerd', '/etc/kubernetes', '/etc/eks', '/var/lib/kubelet', '/var/lib/containerd', '/var/spool/cron',
] as const;

/** Trees a config directory may not be in at all: the operating system's programs and libraries, the kernel's, root's home. */
export const SYSTEM_TREES = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/boot', '/proc', '/sys', '/dev', '/root'] as const;

/** Why a literal config directory is refused, if it is. */
function systemDirectoryProblem(directory: string): string | undefined {
  const held = SYSTEM_DIRECTORIES.find(system => `${system}/`.startsWith(`${directory}/`));
  if (held !== undefined) {
    return `${api('configDirectory')} '${directory}' is or holds the system directory ${held}: the refresh service may write its ${api('configDirectory')}; `
      + 'use a directory of containerd\'s own, such as /etc/containerd/certs.d';
  }
  const tree = SYSTEM_TREES.find(root => directory.startsWith(`${root}/`));
  return tree === undefined ? undefined
    : `${api('configDirectory')} '${directory}' is in ${tree}, which the refresh service may not write; use a directory of containerd's own, such as /etc/containerd/certs.d`;
}

/** The program's exit status when a value is refused: systemd does not rerun it (`RestartPreventExitStatus`). */
const REFUSED_EXIT_STATUS = 2;

/**
 * What each value of the script may be, as a bash extended regular expression (also valid in
 * JavaScript): checked here for a literal, on the node for a token. None allows a quote, `$`,
 * `\`, a backtick, a space, `%`, a newline or `@`.
 */
const HOST = '[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?';
export const VALUE_PATTERNS = {
  account: '^[0-9]{12}$',
  region: '^[a-z]{2,4}(-[a-z]+)+-[0-9]+$',
  configDirectory: '^(/[A-Za-z0-9_-][A-Za-z0-9._-]*){2,}$',
  refreshSeconds: '^[1-9][0-9]{2,4}$',
  upstreamHost: `^${HOST}$`,
  server: `^https://${HOST}(/[A-Za-z0-9._-]+)*$`,
  mirrorEndpoint: `^https://${HOST}/v2(/[A-Za-z0-9._-]+)*$`,
} as const;

/** What the script is made of. */
export interface NodeScriptInput {
  /** The construct path, for error messages (and, sanitised, a comment). */
  readonly where: string;
  /** The cache's account: the registry whose token the node asks for. */
  readonly account: string;
  /** The cache's region: where the node asks for the token. */
  readonly region: string;
  /** containerd's `config_path`, where the mirrors' files are. */
  readonly configDirectory: string;
  /** The cache's mirrors, from `containerdMirrors()`, with `configDirectory` applied. */
  readonly mirrors: ContainerdMirror[];
}

/** The files the boot script installs, and the script. */
export interface NodeScriptParts {
  /** The refresh program, installed at `/usr/local/sbin/<unit>`. */
  readonly program: string;
  /** The systemd service that runs the program, with `${unit}` and `${config_directory}` from the boot script. */
  readonly service: string;
  /** The systemd timer that starts the service, with `${refresh_seconds}` from the boot script. */
  readonly timer: string;
  /** The service's drop-in that reruns a failed refresh, installed on systemd 244 or newer only. */
  readonly retry: string;
  /**
   * The boot script's table of the hardening directives newer than systemd 219 (`<since> <directive>`
   * lines, with `${config_directory}`): it writes those the node's systemd knows to `hardening.conf`.
   */
  readonly hardening: string;
  /** The boot script: installs them, enables the units and runs the program once. */
  readonly script: string;
}

/** How a value reaches the program: a literal as it is, a token as `@` and its base64 (`Fn::Base64`). */
type Encode = (value: string) => string;

const deployTimeEncode: Encode = value => `@${Fn.base64(value)}`;

/** Construct paths in comments: letters, digits and `/._-` only; anything else (a newline) is `_`. */
function commentSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9/._-]/g, '_');
}

/**
 * The boot script of a containerd node that pulls through the cache with the node role's ECR
 * token. Pure: the same input gives the same script.
 *
 * The token is fetched on the node at run time and written only into the cache host's `header` in
 * `hosts.toml` (0600). No value reaches the shell as code: a token is passed as `@` and its
 * base64, and checked against `VALUE_PATTERNS` on the node before any use.
 *
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
 */
export function nodeScriptParts(input: NodeScriptInput, options: ContainerdNodeScriptOptions = {}): NodeScriptParts {
  validate(input, options);
  return renderParts(input, options, deployTimeEncode);
}

/** The boot script alone. */
export function renderContainerdNodeScript(input: NodeScriptInput, options: ContainerdNodeScriptOptions = {}): string {
  return nodeScriptParts(input, options).script;
}

/**
 * The fewest bytes the boot script renders to: each token counted at `shortest(token)` characters,
 * then base64-encoded. Exact when the script holds no token.
 */
export function nodeScriptMinimumBytes(
  input: NodeScriptInput, options: ContainerdNodeScriptOptions, shortest: (token: string) => number,
): { readonly bytes: number; readonly exact: boolean } {
  let exact = true;
  const estimate: Encode = value => {
    exact = false;
    const decoded = Buffer.byteLength(value.replace(/\$\{Token\[[^\]]*\]\}/g, token => 'x'.repeat(shortest(token))));
    return `@${'x'.repeat(4 * Math.ceil(decoded / 3))}`;
  };
  const script = renderParts(input, options, estimate).script;
  return { bytes: Buffer.byteLength(script), exact };
}

/** The line every node script starts with, after its shebang: how a launch template's user data is recognised. */
export const NODE_SCRIPT_MARK = '# cdk-pull-through-cache (';

function validate(input: NodeScriptInput, options: ContainerdNodeScriptOptions): void {
  const context = `PullThroughCache at '${input.where}': ${api('containerdNodeScript')}`;
  const problems: string[] = [];
  const literalBreaks = (value: string, pattern: string) => !Token.isUnresolved(value) && !new RegExp(pattern).test(value);

  const interval = options.refreshInterval ?? DEFAULT_REFRESH_INTERVAL;
  const seconds = interval.toSeconds();
  if (!Token.isUnresolved(seconds) && (seconds < MIN_REFRESH_SECONDS || seconds > MAX_REFRESH_SECONDS)) {
    problems.push(`${api('refreshInterval')} ${interval.toHumanString()} must be between 5 minutes and 11 hours: ECR authorization tokens last 12 hours; `
      + 'give a duration in that range (the default is 6 hours)');
  }
  if (literalBreaks(input.configDirectory, VALUE_PATTERNS.configDirectory)) {
    problems.push(`${api('configDirectory')} '${input.configDirectory}' must be an absolute path of at least two names of letters, digits and '/._-', no name starting with '.', `
      + 'such as /etc/containerd/certs.d');
  } else if (!Token.isUnresolved(input.configDirectory)) {
    const problem = systemDirectoryProblem(input.configDirectory);
    if (problem !== undefined) problems.push(problem);
  }
  // The account and region are checked here too: an owned cache's come from its stack's env, which
  // nothing else checks.
  if (literalBreaks(input.account, VALUE_PATTERNS.account)) {
    problems.push(`the cache's account '${input.account}' must be 12 digits: give the stack (or the import) the cache's account`);
  }
  if (literalBreaks(input.region, VALUE_PATTERNS.region)) {
    problems.push(`the cache's region '${input.region}' is not a region name: give the stack (or the import) the cache's region, such as 'eu-west-1'`);
  }
  if (input.mirrors.length === 0) {
    problems.push('no upstream of the cache has a containerd mirror (see the warnings cdk-pull-through-cache:mirrorSkipped): '
      + `pull its images with ${api('imageUri()')} instead of a node-level mirror`);
  }
  for (const mirror of input.mirrors) {
    for (const field of ['upstreamHost', 'server', 'mirrorEndpoint'] as const) {
      if (literalBreaks(mirror[field], VALUE_PATTERNS[field])) {
        problems.push(`upstream '${mirror.prefix}': ${api(field)} '${mirror[field]}' must match ${VALUE_PATTERNS[field]}`);
      }
    }
  }
  throwIfInvalid(context, problems);
}

function renderParts(input: NodeScriptInput, options: ContainerdNodeScriptOptions, encode: Encode): NodeScriptParts {
  const seconds = (options.refreshInterval ?? DEFAULT_REFRESH_INTERVAL).toSeconds();
  // A value in single quotes: a literal that matched its pattern (no quote in any), or an encoded token.
  const word = (value: string) => `'${Token.isUnresolved(value) ? encode(value) : value}'`;
  const program = renderProgram(input, word(Token.isUnresolved(seconds) ? Token.asString(seconds) : String(seconds)), word);
  const service = renderService('${unit}');
  const timer = renderTimer('${refresh_seconds}');
  const retry = renderRetryDropIn();
  const hardening = HARDENING_DIRECTIVES.map(([since, directive]) => `${since} ${directive}\n`).join('');
  const script = renderBootScript(input, program, service, timer, retry, hardening);
  return { program, service, timer, retry, hardening, script };
}

function renderProgram(input: NodeScriptInput, seconds: string, word: (value: string) => string): string {
  const pattern = (p: string) => `'${p}'`;
  // The hosts.toml of containerdMirrors(), as a printf format: the owner line, the file, the header.
  const format = `# written by %s (cdk-pull-through-cache)\n${hostsToml('%s', '%s')}\n[host."%s".header]\n  Authorization = "Basic %s"\n`;
  return [
    '#!/bin/bash',
    `# Written by cdk-pull-through-cache (${commentSafe(input.where)}). Gives containerd an ECR authorization`,
    '# token for a pull-through cache: fetches one with the instance role and rewrites each mirrored',
    '# registry\'s hosts.toml, the token under the cache host\'s header table only. Run by its systemd',
    '# timer and once by the boot script. Exits 1, changing nothing, without a token; exits 2, doing',
    '# nothing, when a value below is refused. --settings prints "<unit> <config directory> <seconds>".',
    'set -uo pipefail',
    'umask 077',
    '# Byte-wise regular expressions and comparisons, whatever the node\'s locale.',
    'export LC_ALL=C',
    'export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1',
    '',
    'log() { echo "$*" >&2; }',
    `refuse() { log "refusing to run: $*; nothing was changed"; exit ${REFUSED_EXIT_STATUS}; }`,
    '# value <name> <pattern> <text>: prints the text when it matches the pattern. A value that was a',
    '# CloudFormation token at synthesis is @ and its base64 (Fn::Base64): decoded, then checked.',
    'value() {',
    '  local v=$3',
    '  if [[ $v == @* ]]; then',
    '    v=$(printf \'%s\' "${v:1}" | base64 -d) || refuse "$1 is not base64"',
    '  fi',
    '  [[ $v =~ $2 ]] || refuse "$1 $(printf \'%q\' "$v") does not match $2"',
    '  printf \'%s\' "$v"',
    '}',
    `region=$(value region ${pattern(VALUE_PATTERNS.region)} ${word(input.region)}) || exit ${REFUSED_EXIT_STATUS}`,
    `registry_id=$(value account ${pattern(VALUE_PATTERNS.account)} ${word(input.account)}) || exit ${REFUSED_EXIT_STATUS}`,
    `config_directory=$(value configDirectory ${pattern(VALUE_PATTERNS.configDirectory)} ${word(input.configDirectory)}) || exit ${REFUSED_EXIT_STATUS}`,
    `refresh_seconds=$(value refreshInterval ${pattern(VALUE_PATTERNS.refreshSeconds)} ${seconds}) || exit ${REFUSED_EXIT_STATUS}`,
    `((refresh_seconds >= ${MIN_REFRESH_SECONDS} && refresh_seconds <= ${MAX_REFRESH_SECONDS})) || refuse "refreshInterval $refresh_seconds s is not between ${MIN_REFRESH_SECONDS} and ${MAX_REFRESH_SECONDS}"`,
    '# The service may write the config directory (ReadWritePaths=): never a system directory.',
    `for system in ${SYSTEM_DIRECTORIES.join(' ')}; do`,
    '  [[ $system/ != "$config_directory"/* ]] || refuse "configDirectory $config_directory is or holds the system directory $system"',
    'done',
    `[[ ! $config_directory =~ ^(${SYSTEM_TREES.join('|')})/ ]] || refuse "configDirectory $config_directory is in \${BASH_REMATCH[1]}"`,
    'hosts=() servers=() endpoints=()',
    '# mirror <upstream host> <server> <cache endpoint>',
    'mirror() {',
    '  local host server endpoint',
    `  host=$(value upstreamHost ${pattern(VALUE_PATTERNS.upstreamHost)} "$1") \\`,
    `    && server=$(value server ${pattern(VALUE_PATTERNS.server)} "$2") \\`,
    `    && endpoint=$(value mirrorEndpoint ${pattern(VALUE_PATTERNS.mirrorEndpoint)} "$3") || exit ${REFUSED_EXIT_STATUS}`,
    '  hosts+=("$host") servers+=("$server") endpoints+=("$endpoint")',
    '}',
    ...input.mirrors.map(m => `mirror ${word(m.upstreamHost)} ${word(m.server)} ${word(m.mirrorEndpoint)}`),
    '# The id: every value checked above, one a line.',
    `unit=${NODE_AUTH_UNIT_PREFIX}-$(printf '%s\\n' "$registry_id" "$region" "$config_directory" "$refresh_seconds" \\`,
    `  "\${hosts[@]}" "\${servers[@]}" "\${endpoints[@]}" | sha256sum | cut -c1-${ID_HEX_DIGITS})`,
    'readonly region registry_id config_directory refresh_seconds unit',
    'if [[ ${1:-} == --settings ]]; then',
    '  echo "$unit $config_directory $refresh_seconds"',
    '  exit 0',
    'fi',
    '',
    'token=""',
    `delay=${FIRST_RETRY_DELAY_SECONDS}`,
    `for ((attempt = 1; attempt <= ${ATTEMPTS}; attempt++)); do`,
    `  if token=$(timeout ${ATTEMPT_TIMEOUT_SECONDS} aws ecr get-authorization-token --region "$region" --registry-ids "$registry_id" \\`,
    '      --cli-connect-timeout 10 --cli-read-timeout 20 \\',
    '      --query \'authorizationData[0].authorizationToken\' --output text) \\',
    '    && [[ $token =~ ^[A-Za-z0-9+/]+=*$ ]]; then',
    '    break',
    '  fi',
    '  token=""',
    `  if ((attempt < ${ATTEMPTS})); then`,
    `    log "attempt $attempt of ${ATTEMPTS}: no ECR authorization token for registry $registry_id in $region; retrying in $delay s"`,
    '    sleep "$delay"',
    '    delay=$((delay * 2))',
    '  fi',
    'done',
    'if [[ -z $token ]]; then',
    `  log "no ECR authorization token for registry $registry_id in $region after ${ATTEMPTS} attempts; the hosts.toml files are unchanged"`,
    '  exit 1',
    'fi',
    '',
    '# write_hosts <upstream host> <server> <cache endpoint>: <config directory>/<host>/hosts.toml,',
    '# written to a temporary file in the same directory and renamed over the old one. Of the caches',
    '# installed on the node that mirror one host, the one with the lowest id keeps its file.',
    'tmp=""',
    'trap \'[[ -z $tmp ]] || rm -f "$tmp"\' EXIT',
    'write_hosts() {',
    `  local dir=$config_directory/$1 path first owner='^# written by (${NODE_AUTH_UNIT_PREFIX}-[0-9a-f]{${ID_HEX_DIGITS}}) '`,
    '  path=$dir/hosts.toml',
    '  if [[ -f $path ]] && IFS= read -r first < "$path" && [[ $first =~ $owner ]] \\',
    `    && [[ \${BASH_REMATCH[1]} < "$unit" && -x ${NODE_AUTH_PROGRAM_DIRECTORY}/\${BASH_REMATCH[1]} ]]; then`,
    '    log "$path is left to ${BASH_REMATCH[1]}, another installed cache\'s program, whose id is lower"',
    '    return 0',
    '  fi',
    '  mkdir -p "$dir" && chmod 0700 "$dir" || return 1',
    '  tmp=$(mktemp "$dir/.hosts.toml.XXXXXX") || return 1',
    `  if printf '${format.replace(/\n/g, '\\n')}' "$unit" "$2" "$3" "$3" "$token" > "$tmp" \\`,
    '    && chmod 0600 "$tmp" && mv -f "$tmp" "$path"; then',
    '    tmp=""',
    '    log "wrote $path"',
    '  else',
    '    rm -f "$tmp"',
    '    tmp=""',
    '    log "could not write $path; it is unchanged"',
    '    return 1',
    '  fi',
    '}',
    '',
    'failed=0',
    'for i in "${!hosts[@]}"; do',
    '  write_hosts "${hosts[i]}" "${servers[i]}" "${endpoints[i]}" || failed=1',
    'done',
    'exit "$failed"',
    '',
  ].join('\n');
}

/**
 * The service, valid for systemd 219 (Amazon Linux 2) and up; the boot script adds newer hardening
 * in the drop-in `hardening.conf` (`systemd-analyze security` 1.6 with all of it).
 *
 * @param unit the unit's name, also the program's
 * @see https://github.com/cdk-pull-through-cache/cdk-pull-through-cache/blob/main/docs/nodes.md
 */
export function renderService(unit: string): string {
  return [
    '[Unit]',
    'Description=ECR authorization token for containerd\'s pull-through cache mirrors',
    'Documentation=https://github.com/cdk-pull-through-cache/cdk-pull-through-cache#kubernetes-and-ec2-nodes',
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=containerd.service kubelet.service',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${NODE_AUTH_PROGRAM_DIRECTORY}/${unit}`,
    `TimeoutStartSec=${START_TIMEOUT_SECONDS}s`,
    `SyslogIdentifier=${unit}`,
    `# Hardening systemd ${MIN_SYSTEMD} knows; newer directives are in ${unit}.service.d/hardening.conf.`,
    'UMask=0077',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'SystemCallArchitectures=native',
    'SystemCallErrorNumber=EPERM',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * Reruns a failed refresh until one succeeds (a refused value, exit 2, is not rerun). A drop-in,
 * installed on systemd 244 or newer only: older systemd refuses `Restart=` on a oneshot service.
 */
function renderRetryDropIn(): string {
  return [
    '[Service]',
    'Restart=on-failure',
    `RestartSec=${RETRY_AFTER_FAILURE_SECONDS}s`,
    `RestartPreventExitStatus=${REFUSED_EXIT_STATUS}`,
    '',
  ].join('\n');
}

/** The timer, every `seconds` (`OnActiveSec` covers the first boot, when the service never ran under systemd). */
export function renderTimer(seconds: string): string {
  return [
    '[Unit]',
    'Description=Refresh the ECR authorization token of containerd\'s pull-through cache mirrors',
    '',
    '[Timer]',
    `OnActiveSec=${seconds}s`,
    `OnUnitActiveSec=${seconds}s`,
    'AccuracySec=1min',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

function renderBootScript(input: NodeScriptInput, program: string, service: string, timer: string, retry: string, hardening: string): string {
  // The program in a quoted here-document (the shell reads it as text); the units in unquoted ones,
  // to expand the checked ${unit}, ${config_directory} and ${refresh_seconds}: nothing else in
  // them may be special there.
  for (const unit of [service, timer, retry, hardening]) {
    if (/[`\\]|\$(?!\{(unit|config_directory|refresh_seconds)\})/.test(unit)) {
      throw new Error(`a unit holds a character special in a here-document:\n${unit}`);
    }
  }
  const file = (path: string, mode: string, content: string, delimiter: string, quoted: boolean) => [
    `install_file "${path}" ${mode} <<${quoted ? `'${delimiter}'` : delimiter}`,
    content.replace(/\n$/, ''),
    delimiter,
  ];
  const dropIn = `${SYSTEMD_UNIT_DIRECTORY}/$unit.service.d/retry.conf`;
  const hardeningDropIn = `${SYSTEMD_UNIT_DIRECTORY}/$unit.service.d/hardening.conf`;
  return [
    '#!/bin/bash',
    `${NODE_SCRIPT_MARK}${commentSafe(input.where)}): containerd pulls through an ECR pull-through`,
    `# cache with the instance role's ECR token, refreshed by a systemd timer (${NODE_AUTH_UNIT_PREFIX}-<id>).`,
    '# Idempotent: running it again rewrites the same files.',
    '(',
    'set -euo pipefail',
    '# install_file <path> <mode>: stdin to a temporary file renamed over <path>',
    'install_file() {',
    '  local tmp',
    '  mkdir -p "$(dirname "$1")"',
    '  tmp=$(mktemp "$1.XXXXXX")',
    '  cat > "$tmp"',
    '  chmod "$2" "$tmp"',
    '  mv -f "$tmp" "$1"',
    '}',
    `mkdir -p ${NODE_AUTH_PROGRAM_DIRECTORY}`,
    `program=$(mktemp ${NODE_AUTH_PROGRAM_DIRECTORY}/.${NODE_AUTH_UNIT_PREFIX}.XXXXXX)`,
    'cat > "$program" <<\'CDK_PULL_THROUGH_CACHE_PROGRAM\'',
    program.replace(/\n$/, ''),
    'CDK_PULL_THROUGH_CACHE_PROGRAM',
    'chmod 0700 "$program"',
    '# The program checks every value it holds, tokens resolved at deployment included, and gives the',
    '# boot script the ones it needs; a refused value stops here, with nothing installed.',
    'if ! settings=$("$program" --settings); then',
    '  rm -f "$program"',
    `  echo "${NODE_AUTH_UNIT_PREFIX}: a value of the script was refused (above); nothing is installed" >&2`,
    `  exit ${REFUSED_EXIT_STATUS}`,
    'fi',
    'read -r unit config_directory refresh_seconds <<<"$settings"',
    `mv -f "$program" "${NODE_AUTH_PROGRAM_DIRECTORY}/$unit"`,
    'echo "$unit: installed (journalctl -u $unit)"',
    '# Before the units: a missing ReadWritePaths= directory fails the service (226/NAMESPACE).',
    'mkdir -p "$config_directory"',
    `# Rerunning a failed oneshot service (Restart=) needs systemd ${MIN_SYSTEMD_FOR_RETRY} or newer; older ones refuse such a unit,`,
    `# and there the timer's next run is the retry: at most every ${MAX_REFRESH_SECONDS_WITHOUT_RERUN / 3600} hours, so one failed run leaves time for the next.`,
    'systemd_version=$(systemctl --version 2>/dev/null | sed -n \'1s/^systemd \\([0-9][0-9]*\\).*/\\1/p\') || true',
    `if [[ \${systemd_version:-0} -ge ${MIN_SYSTEMD_FOR_RETRY} ]]; then`,
    // Only the install_file line is indented: a heredoc's body and delimiter stay at column 0.
    ...file(dropIn, '0644', retry, 'CDK_PULL_THROUGH_CACHE_RETRY', true).map((line, i) => (i === 0 ? `  ${line}` : line)),
    'else',
    `  rm -f "${dropIn}"`,
    `  ((refresh_seconds <= ${MAX_REFRESH_SECONDS_WITHOUT_RERUN})) || refresh_seconds=${MAX_REFRESH_SECONDS_WITHOUT_RERUN}`,
    'fi',
    `# The hardening newer than systemd ${MIN_SYSTEMD} (the service holds the rest): the directives this systemd knows.`,
    'hardening=""',
    'while read -r since directive; do',
    '  if [[ ${systemd_version:-0} -ge $since ]]; then hardening+="$directive"$\'\\n\'; fi',
    'done <<CDK_PULL_THROUGH_CACHE_HARDENING',
    hardening.replace(/\n$/, ''),
    'CDK_PULL_THROUGH_CACHE_HARDENING',
    'if [[ -n $hardening ]]; then',
    `  printf '[Service]\\n%s' "$hardening" | install_file "${hardeningDropIn}" 0644`,
    'else',
    `  rm -f "${hardeningDropIn}"`,
    'fi',
    ...file(`${SYSTEMD_UNIT_DIRECTORY}/$unit.service`, '0644', service, 'CDK_PULL_THROUGH_CACHE_SERVICE', false),
    ...file(`${SYSTEMD_UNIT_DIRECTORY}/$unit.timer`, '0644', timer, 'CDK_PULL_THROUGH_CACHE_TIMER', false),
    'systemctl daemon-reload',
    'systemctl enable "$unit.service" "$unit.timer"',
    'systemctl start "$unit.timer"',
    `# The first refresh, before kubelet pulls, bounded as the service's start is (${START_TIMEOUT_SECONDS} s). Without a`,
    '# token containerd pulls from the upstream registries.',
    `if ! timeout ${START_TIMEOUT_SECONDS} "${NODE_AUTH_PROGRAM_DIRECTORY}/$unit"; then`,
    '  # Rerun later, not now: a run holds containerd and kubelet (ordered after it), which may be starting.',
    `  systemd-run --on-active=${RETRY_AFTER_FAILURE_SECONDS} --unit="$unit-retry" systemctl start --no-block "$unit.service" \\`,
    '    || echo "$unit: could not schedule a rerun (is one scheduled already?)" >&2',
    `  then_=", then every ${RETRY_AFTER_FAILURE_SECONDS} s while it fails"`,
    `  [[ -e "${dropIn}" ]] || then_=", then at $unit.timer's runs (systemd \${systemd_version:-unknown} cannot rerun a failed oneshot service)"`,
    `  echo "$unit: no ECR token yet; containerd pulls from the upstream registries until a refresh succeeds: the next in ${RETRY_AFTER_FAILURE_SECONDS} s\${then_}" >&2`,
    'fi',
    ')',
    '',
  ].join('\n');
}
