/**
 * `.mount` units for the NFS storage a host's services use.
 */
import { MOUNT_UNIT } from '../../daemons';
import { systemdText, UnsafeValueError } from '../quote';
import { renderTemplate } from '../render';
import {
  descriptionOf,
  header,
  mountUnitName,
  simplifyPath,
  UNIT_DIRECTORY,
  unitExport,
  unitPath,
} from './names';
import type { UnitSetting } from './names';
import type { DesignIndex } from '../../design-index';
import type { Host, Service, StorageService } from '../../model';
import type { BundleFile } from '../bundle';

interface MountUnitView {
  header: string[];
  unit: UnitSetting[];
  mount: UnitSetting[];
  install: UnitSetting[];
}

/** Where an NFS storage service is mounted: its `mountPoint`, default `/mnt/<id>`. */
export function mountPointOf(storage: StorageService): string {
  return simplifyPath(storage.mountPoint ?? `/mnt/${storage.id}`);
}

/** True for NFS storage that names its export, which is what gets a `.mount` unit. */
function isMountable(service: Service): service is StorageService & { endpoint: string } {
  return service.kind === 'storage' && service.type === 'nfs' && service.endpoint !== undefined;
}

/** The NFS storage a service uses (`uses` links to it), in link order. */
export function storageUsedBy(
  index: DesignIndex,
  service: Service,
): (StorageService & { endpoint: string })[] {
  const used: (StorageService & { endpoint: string })[] = [];
  for (const link of index.linksFrom.get(service.id) ?? []) {
    const target = index.services.get(link.to);
    if (link.kind === 'uses' && target && isMountable(target) && !used.includes(target)) used.push(target);
  }
  return used;
}

/** The `.mount` unit of one NFS storage on a host, for the services there that use it. */
export function mountUnit(
  index: DesignIndex,
  storage: StorageService & { endpoint: string },
  host: Host,
  users: Service[],
): BundleFile {
  const where = mountPointOf(storage);
  if (where === '/')
    throw new UnsafeValueError('systemd', where, 'mounting a share over / would hide the system');
  const name = mountUnitName(where);
  const view: MountUnitView = {
    header: header(index, [
      `NFS storage ${storage.id} on host ${host.id}, for ${users.map((s) => s.id).join(', ')}.`,
    ]),
    unit: [
      { key: 'Description', value: systemdText(descriptionOf(storage)) },
      { key: 'After', value: 'network-online.target' },
      { key: 'Wants', value: 'network-online.target' },
    ],
    mount: [
      { key: 'What', value: unitExport(storage.endpoint) },
      { key: 'Where', value: unitPath(where) },
      { key: 'Type', value: 'nfs' },
      // _netdev: a network file system, mounted once the network is up; nofail: a dead server
      // does not hold up boot (the services that use it require it themselves); hard: I/O waits
      // for the server instead of failing, as an HA share fails over.
      { key: 'Options', value: '_netdev,nofail,hard,noatime' },
      { key: 'TimeoutSec', value: '90s' },
    ],
    install: [{ key: 'WantedBy', value: 'remote-fs.target' }],
  };
  return {
    host: host.id,
    path: `${UNIT_DIRECTORY}/${name}`,
    content: renderTemplate('systemd/mount', view),
    mode: MOUNT_UNIT.mode,
    check: MOUNT_UNIT.check(name),
    reload: MOUNT_UNIT.reload(name),
    policy: 'replace',
  };
}
