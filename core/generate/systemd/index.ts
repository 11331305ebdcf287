/**
 * systemd units: a service unit for every hosted service with a `command`, one for every mongod
 * (data member or replica-set arbiter), Redis server and Sentinel, and a `.mount` unit for NFS
 * storage on every host whose services use it.
 *
 * Every service unit is sandboxed so that `systemd-analyze security` rates its exposure 4.0 or
 * lower, while keeping what the daemon needs: the directories it writes, the shared storage it
 * uses, and the one capability to bind a port below 1024 when it listens on one.
 */
import { UnsafeValueError } from '../quote';
import { mountUnit, storageUsedBy } from './mount';
import { serviceUnit, unitPlanOf } from './service-unit';
import type { Service, StorageService } from '../../model';
import type { BundleFile } from '../bundle';
import type { Generator } from '../context';

/** Files of every systemd unit in the design, per host in design order. */
export const generateSystemd: Generator = ({ index }) => {
  const files: BundleFile[] = [];
  for (const host of index.design.hosts) {
    const services = index.servicesByHost.get(host.id) ?? [];
    // By path, so that a host with thousands of units finds a clash at once.
    const hostFiles = new Map<string, { file: BundleFile; owner: string }>();
    const add = (file: BundleFile, owner: string): void => {
      const clash = hostFiles.get(file.path);
      if (clash) {
        throw new UnsafeValueError(
          'systemd',
          file.path,
          `${clash.owner} and ${owner} would both write it on host ${host.id}`,
        );
      }
      hostFiles.set(file.path, { file, owner });
    };

    const mounts = new Map<string, { storage: StorageService & { endpoint: string }; users: Service[] }>();
    for (const service of services) {
      for (const storage of storageUsedBy(index, service)) {
        const entry = mounts.get(storage.id) ?? { storage, users: [] };
        entry.users.push(service);
        mounts.set(storage.id, entry);
      }
    }
    for (const { storage, users } of mounts.values()) add(mountUnit(index, storage, host, users), storage.id);

    for (const service of services) {
      const plan = unitPlanOf(index, service, host);
      if (plan) add(serviceUnit(index, plan), service.id);
    }
    for (const entry of hostFiles.values()) files.push(entry.file);
  }
  return files;
};
