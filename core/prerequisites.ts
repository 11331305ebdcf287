/**
 * What a host must have before its bundle can work there (docs/push.md, "Prerequisites"): the
 * certificate and key files its balancers serve TLS with, the program each generated unit starts
 * (and the user its package creates), the network interface keepalived binds a floating address
 * to, and sudo where `ssh.sudo` is set. None of these is in the bundle: a person provides them.
 *
 * Written from the design and the files generated for it, into the manifest (push checks each on
 * the host in its plan, before anything is uploaded) and into the bundle README (the list a person
 * works through before the first push).
 */
import { DAEMONS, UNIT_DIRECTORY } from './daemons';
import type { DesignIndex } from './design-index';
import type { BundleFile } from './generate/bundle';
import { listenersOf } from './generate/context';
import { haproxyCertificateFiles } from './generate/haproxy/tls';
import { floatingAddresses } from './generate/keepalived';
import { nginxCertificateFiles } from './generate/nginx';
import type { BalancerService } from './model';
import { markdownCode, markdownText } from './generate/quote';

/** The interface keepalived uses when a host names none (docs/design-file.md). */
export const DEFAULT_INTERFACE = 'eth0';

/**
 * A certificate a balancer serves TLS with. Missing, it stops the host's push; `push --lab-certs`
 * creates a self-signed one (with its key) when both files are missing.
 */
export interface CertificatePrerequisite {
  host: string;
  kind: 'certificate';
  /** The certificate file on the host. */
  path: string;
  /** The key file, when it is a file of its own; unset: the key is inside the certificate file. */
  key?: string;
  /** The name a lab certificate is made out to: the service's `serverName`, else the host's address. */
  commonName: string;
  /** The service that serves TLS with it. */
  service: string;
  /** Why the bundle needs it, for messages: `nginx gw-a serves HTTPS on port 443 with it`. */
  why: string;
}

/**
 * The program a generated unit starts. Missing, it does not stop the host's push: the unit is
 * installed but neither enabled nor started, and the report says what to install.
 */
export interface ProgramPrerequisite {
  host: string;
  kind: 'program';
  /** Absolute path of the program, the first word of the unit's `ExecStart=`. */
  path: string;
  /** The unit that starts it, e.g. `mongod.service`. */
  unit: string;
  /** The unit's `User=`, which the program's package usually creates. */
  user?: string;
  /** The unit's `Group=`, which the package creates with its user. */
  group?: string;
  /** What provides it, for messages: `MongoDB (package mongodb-org)`. */
  provider: string;
  /** The service it runs. */
  service: string;
  /** The host files that belong to the unit (the unit and its daemon's config): not applied until it is installed. */
  files: string[];
}

/** The network interface keepalived binds a floating address to. Missing, it stops the host's push. */
export interface InterfacePrerequisite {
  host: string;
  kind: 'interface';
  /** The interface name: `hosts[].interface`, else `eth0`. */
  name: string;
  /** True when the design names it; false for the default. */
  named: boolean;
  /** Why the bundle needs it: the floating addresses it holds. */
  why: string;
}

/** `ssh.sudo` is set: push runs every remote command through `sudo -n`. Missing, it stops the host. */
export interface SudoPrerequisite {
  host: string;
  kind: 'sudo';
  /** The login user that must be allowed to run commands as root without a password. */
  user: string;
}

/** One thing a host must have before its bundle works there. */
export type Prerequisite =
  CertificatePrerequisite | ProgramPrerequisite | InterfacePrerequisite | SudoPrerequisite;

/** What provides the programs the generators start, as a person installs them. */
const PROVIDERS: Record<string, string> = {
  '/usr/bin/mongod': 'MongoDB (package mongodb-org)',
  '/usr/bin/redis-server': 'Redis (package redis-server)',
  '/usr/bin/redis-sentinel': 'Redis Sentinel (package redis-sentinel)',
};

/** The first value of `key=` in a unit file's text, if any. */
function unitSetting(content: string, key: string): string | undefined {
  const prefix = `${key}=`;
  const line = content.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/**
 * The program of an `ExecStart=` value: its first word, without systemd's prefixes (`-`, `@`,
 * `+`, `!`, `:`) and quotes.
 */
function programOf(execStart: string): string | undefined {
  const first = /^[-@+!:]*("([^"]*)"|(\S+))/u.exec(execStart);
  const program = first?.[2] ?? first?.[3];
  return program?.startsWith('/') ? program : undefined;
}

function balancerLabel(service: BalancerService): string {
  return service.kind === 'nginx' ? 'nginx' : 'HAProxy';
}

/**
 * Every prerequisite of the design's bundle, by host in design order, then certificates, programs,
 * interfaces and sudo, each in the order of the files and services that need it. `files` are the
 * generated host files (the units are read for their programs).
 */
export function prerequisitesOf(index: DesignIndex, files: readonly BundleFile[]): Prerequisite[] {
  const hostsWithFiles = new Set(files.flatMap((file) => (file.host === undefined ? [] : [file.host])));
  const interfaces = new Map<string, string[]>();
  for (const floating of floatingAddresses(index))
    for (const participant of floating.participants) {
      const list = interfaces.get(participant.host.id) ?? [];
      list.push(floating.address);
      interfaces.set(participant.host.id, list);
    }

  const result: Prerequisite[] = [];
  for (const host of index.design.hosts) {
    if (!hostsWithFiles.has(host.id)) continue;
    const hostFiles = files.filter((file) => file.host === host.id);
    const seen = new Set<string>();

    for (const service of index.servicesByHost.get(host.id) ?? []) {
      if (service.kind !== 'nginx' && service.kind !== 'haproxy') continue;
      const https = listenersOf(service).filter((listener) => listener.protocol === 'https');
      if (https.length === 0) continue;
      const certificate =
        service.kind === 'nginx' ? nginxCertificateFiles(service) : haproxyCertificateFiles(service);
      if (seen.has(certificate.certificate)) continue;
      seen.add(certificate.certificate);
      const ports = https.map((listener) => listener.port).join(', ');
      result.push({
        host: host.id,
        kind: 'certificate',
        path: certificate.certificate,
        ...(certificate.key === undefined ? {} : { key: certificate.key }),
        commonName: service.serverName ?? host.address,
        service: service.id,
        why: `${balancerLabel(service)} ${service.id} serves HTTPS on port${https.length > 1 ? 's' : ''} ${ports} with it`,
      });
    }

    for (const unitFile of hostFiles) {
      if (!unitFile.path.startsWith(`${UNIT_DIRECTORY}/`) || !unitFile.path.endsWith('.service')) continue;
      const execStart = unitSetting(unitFile.content, 'ExecStart');
      const program = execStart === undefined ? undefined : programOf(execStart);
      if (program === undefined) continue;
      const unit = unitFile.path.slice(UNIT_DIRECTORY.length + 1);
      const user = unitSetting(unitFile.content, 'User');
      const group = unitSetting(unitFile.content, 'Group');
      const service = (index.servicesByHost.get(host.id) ?? []).find(
        (candidate) =>
          unit === `${candidate.id}.service` || unitFile.content.includes(` ${candidate.id} on host `),
      );
      result.push({
        host: host.id,
        kind: 'program',
        path: program,
        unit,
        ...(user === undefined ? {} : { user }),
        ...(group === undefined ? {} : { group }),
        provider: PROVIDERS[program] ?? `the software of ${service?.id ?? unit}`,
        service: service?.id ?? unit,
        files: hostFiles
          .filter((file) => DAEMONS.some((daemon) => daemon.unitOf(file.path) === unit))
          .map((file) => file.path),
      });
    }

    const addresses = interfaces.get(host.id);
    if (addresses !== undefined)
      result.push({
        host: host.id,
        kind: 'interface',
        name: host.interface ?? DEFAULT_INTERFACE,
        named: host.interface !== undefined,
        why: `keepalived holds the floating address${addresses.length > 1 ? 'es' : ''} ${addresses.join(', ')} on it`,
      });

    if (host.ssh?.sudo === true) result.push({ host: host.id, kind: 'sudo', user: host.ssh.user ?? 'root' });
  }
  return result;
}

/** The design field that names a host's keepalived interface, as messages give it. */
export function interfaceField(host: string): string {
  return `hosts[${host}].interface`;
}

/**
 * One Markdown line per prerequisite, as the bundle README lists them: what it is, why the bundle
 * needs it, and how to provide it. Every value from the design is escaped.
 */
export function prerequisiteMarkdown(prerequisite: Prerequisite): string {
  const code = (value: string): string => markdownCode(value);
  switch (prerequisite.kind) {
    case 'certificate':
      return (
        (prerequisite.key === undefined
          ? `certificate and key in one PEM file ${code(prerequisite.path)}`
          : `certificate ${code(prerequisite.path)} and key ${code(prerequisite.key)}`) +
        `: ${markdownText(prerequisite.why)}; in a lab, \`topoforge push --lab-certs\` makes a self-signed pair`
      );
    case 'program':
      return (
        `program ${code(prerequisite.path)} from ${markdownText(prerequisite.provider)}` +
        `${prerequisite.user === undefined ? '' : ` (runs as user ${code(prerequisite.user)})`}: ` +
        `${code(prerequisite.unit)} starts it; until it is installed, push installs the unit but neither enables ` +
        `nor starts it: install it, then run ${code(`systemctl enable --now ${prerequisite.unit}`)}`
      );
    case 'interface':
      return (
        `network interface ${code(prerequisite.name)}${prerequisite.named ? '' : ' (the default)'}: ` +
        `${markdownText(prerequisite.why)}; a host whose interface has another name sets it in ` +
        `${code(interfaceField(prerequisite.host))}`
      );
    case 'sudo':
      return (
        `sudo: ${code(prerequisite.user)} runs commands as root without a password (${code('sudo -n')}), ` +
        `as ${code('ssh.sudo')} is set`
      );
  }
}
