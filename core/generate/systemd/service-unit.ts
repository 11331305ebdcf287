/**
 * The `.service` unit of one hosted service: its plan (what runs, as whom, with which sandbox)
 * and the unit file laid out from it.
 */
import { SERVICE_UNIT } from '../../daemons';
import { daemonUnitName } from '../context';
import type { DaemonKind } from '../context';
import { systemdText } from '../quote';
import { renderTemplate } from '../render';
import { descriptionOf, header, UNIT_DIRECTORY, unitPath } from './names';
import type { UnitSetting } from './names';
import { balancedFileLimit, bindsPrivilegedPort, commonSandbox, daemonProfile } from './sandbox';
import { commandOf, commandWords, daemonWords, execStart, unitKindOf } from './command';
import { mountPointOf, storageUsedBy } from './mount';
import type { DesignIndex } from '../../design-index';
import type { Host, Service } from '../../model';
import type { BundleFile } from '../bundle';

/** How often a failed service is restarted: after {@link RESTART_DELAY}, at most 5 times in 5 minutes. */
const RESTART_DELAY = '5s';

const START_LIMIT_INTERVAL = '300s';

const START_LIMIT_BURST = 5;

interface ServiceUnitView {
  header: string[];
  unit: UnitSetting[];
  service: UnitSetting[];
  sandbox: UnitSetting[];
  install: UnitSetting[];
}

interface UnitPlan {
  service: Service;
  host: Host;
  name: string;
  what: string;
  /** Header lines after the first, saying why a setting is there. */
  notes: string[];
  words: string[];
  coldStandby: boolean;
  user: string | undefined;
  type: 'exec' | 'notify';
  /** Paths the sandbox leaves writable, besides the service's own directories. */
  writable: string[];
  /** Further [Service] settings: limits, runtime and state directories. */
  settings: UnitSetting[];
  /** Further sandbox settings. */
  sandbox: UnitSetting[];
}

/** The `.service` unit file of a plan. */
export function serviceUnit(index: DesignIndex, plan: UnitPlan): BundleFile {
  const { service, host } = plan;
  const storage = storageUsedBy(index, service).map(mountPointOf);
  const privileged = bindsPrivilegedPort(service);
  const capabilities = privileged ? 'CAP_NET_BIND_SERVICE' : '';

  const unit: UnitSetting[] = [
    { key: 'Description', value: systemdText(descriptionOf(service)) },
    { key: 'After', value: 'network-online.target' },
    { key: 'Wants', value: 'network-online.target' },
    ...storage.map((path) => ({ key: 'RequiresMountsFor', value: unitPath(path) })),
    { key: 'StartLimitIntervalSec', value: START_LIMIT_INTERVAL },
    { key: 'StartLimitBurst', value: String(START_LIMIT_BURST) },
  ];
  const serviceSettings: UnitSetting[] = [
    { key: 'Type', value: plan.type },
    ...(plan.user === undefined
      ? []
      : [
          { key: 'User', value: plan.user },
          { key: 'Group', value: plan.user },
        ]),
    { key: 'ExecStart', value: execStart(plan.words) },
    { key: 'Restart', value: 'on-failure' },
    { key: 'RestartSec', value: RESTART_DELAY },
    ...plan.settings,
  ];
  const writable = [...plan.writable, ...storage].map(unitPath);
  const sandbox: UnitSetting[] = [
    ...commonSandbox(),
    ...plan.sandbox,
    ...writable.map((path) => ({ key: 'ReadWritePaths', value: path })),
    { key: 'CapabilityBoundingSet', value: capabilities },
    ...(plan.user === undefined
      ? []
      : [
          { key: 'AmbientCapabilities', value: capabilities },
          { key: 'RemoveIPC', value: 'yes' },
          ...(privileged ? [] : [{ key: 'PrivateUsers', value: 'yes' }]),
        ]),
    { key: 'UMask', value: plan.user === 'redis' ? '0007' : '0027' },
  ];
  const view: ServiceUnitView = {
    header: header(index, [
      `${plan.what} of ${service.kind} ${service.id} on host ${host.id}.`,
      ...plan.notes,
      ...(plan.coldStandby ? ['Cold standby: not enabled; a person starts it (see the bundle README).'] : []),
      'Writable beyond its own directories: add ReadWritePaths= in a drop-in (systemctl edit).',
    ]),
    unit,
    service: serviceSettings,
    sandbox,
    install: [{ key: 'WantedBy', value: 'multi-user.target' }],
  };
  return {
    host: host.id,
    path: `${UNIT_DIRECTORY}/${plan.name}`,
    content: renderTemplate('systemd/service', view),
    mode: SERVICE_UNIT.mode,
    check: SERVICE_UNIT.check(plan.name),
    reload: SERVICE_UNIT.reload(plan.name, plan.coldStandby),
    policy: 'replace',
  };
}

/** The plan of a hosted service's unit; undefined when it runs nothing. */
export function unitPlanOf(index: DesignIndex, service: Service, host: Host): UnitPlan | undefined {
  const unitKind = unitKindOf(index, service);
  const coldStandby = service.mode === 'cold-standby';
  if (unitKind.kind === 'none') return undefined;
  if (unitKind.kind === 'command') {
    const fileLimit = balancedFileLimit(index, service);
    return {
      service,
      host,
      name: `${service.id}.service`,
      what: 'Runs the command',
      notes: fileLimit.flatMap((limit) => limit.why),
      words: commandWords(unitKind.command),
      coldStandby,
      user: undefined,
      type: 'exec',
      writable: [],
      settings: [
        { key: 'StateDirectory', value: service.id },
        { key: 'LogsDirectory', value: service.id },
        { key: 'RuntimeDirectory', value: service.id },
        ...fileLimit.map((limit) => limit.setting),
      ],
      sandbox: [],
    };
  }
  const daemon = service as Service & { kind: DaemonKind };
  const profile = daemonProfile(index, daemon);
  const command = commandOf(service);
  return {
    service,
    host,
    name: daemonUnitName(index, daemon),
    what: 'Runs the daemon',
    notes: [],
    words: command === undefined ? daemonWords(index, daemon) : commandWords(command),
    coldStandby,
    user: profile.user,
    type: profile.type,
    writable: profile.writable,
    settings: profile.settings,
    sandbox: profile.sandbox,
  };
}
