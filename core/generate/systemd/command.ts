/**
 * What a hosted service runs: its daemon or its `command`, as the words of `ExecStart=`.
 */
import { daemonConfigPath } from '../context';
import type { DaemonKind } from '../context';
import { systemdArgument, UnsafeValueError } from '../quote';
import type { DesignIndex } from '../../design-index';
import type { Service } from '../../model';

/** What kind of unit a hosted service gets, if any. */
type UnitKind =
  { kind: 'daemon'; daemon: DaemonKind } | { kind: 'command'; command: string } | { kind: 'none' };

/**
 * mongodb, redis and sentinel run their daemon; an arbiter runs mongod when it arbitrates a
 * replica set (in a `quorum` group it is a generic witness and runs its `command`); any other
 * service runs its `command` when it has one.
 */
export function unitKindOf(index: DesignIndex, service: Service): UnitKind {
  switch (service.kind) {
    case 'mongodb':
    case 'redis':
    case 'sentinel':
      return { kind: 'daemon', daemon: service.kind };
    case 'arbiter': {
      const group = service.group === undefined ? undefined : index.groups.get(service.group);
      if (group?.kind === 'mongodb-replica-set') return { kind: 'daemon', daemon: 'arbiter' };
      return service.command === undefined ? { kind: 'none' } : { kind: 'command', command: service.command };
    }
    case 'app':
    case 'capture':
    case 'router':
    case 'processing':
    case 'reporting':
      return service.command === undefined ? { kind: 'none' } : { kind: 'command', command: service.command };
    default:
      return { kind: 'none' };
  }
}

/** The words of a command line: split at spaces, each kept whole (quoting is the renderer's job). */
export function commandWords(command: string): string[] {
  return command.split(' ').filter((word) => word !== '');
}

/** `ExecStart=` from the words of a command; the program must be an absolute path. */
export function execStart(words: string[]): string {
  const [program] = words;
  if (program === undefined || !program.startsWith('/')) {
    throw new UnsafeValueError('systemd', words.join(' '), 'ExecStart= needs an absolute program path first');
  }
  return words.map(systemdArgument).join(' ');
}

/** The `command` of a service that may have one. */
export function commandOf(service: Service): string | undefined {
  return 'command' in service ? service.command : undefined;
}

/** ExecStart of a daemon: the distribution's program on the shared config path. */
export function daemonWords(index: DesignIndex, service: Service & { kind: DaemonKind }): string[] {
  const config = daemonConfigPath(index, service);
  switch (service.kind) {
    case 'mongodb':
    case 'arbiter':
      return ['/usr/bin/mongod', '--config', config];
    case 'redis':
      return ['/usr/bin/redis-server', config, '--supervised', 'systemd', '--daemonize', 'no'];
    case 'sentinel':
      return ['/usr/bin/redis-sentinel', config, '--supervised', 'systemd', '--daemonize', 'no'];
  }
}
