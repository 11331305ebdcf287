/**
 * Running the Ansible export (core/ansible) with Debian's real `ansible-playbook` against lab SSH
 * hosts (test/lab/sshd.ts): the environment that keeps Ansible's state inside the test's own
 * folders (no `~/.ansible`; its SSH master connections live in the scratch folder and end with the lab), and readers for its output.
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshLab } from '../lab/sshd';

/** What `ansible-playbook` printed and how it exited. */
export interface AnsibleRun {
  code: number;
  output: string;
}

/** The environment for `ansible-playbook` against `lab`, with every state folder under `scratch`. */
export function ansibleEnvironment(lab: SshLab, scratch: string): NodeJS.ProcessEnv {
  const knownHosts = join(scratch, 'known_hosts');
  writeFileSync(knownHosts, lab.knownHosts());
  mkdirSync(join(scratch, 'ansible-home'), { recursive: true });
  return {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: scratch,
    ANSIBLE_HOME: join(scratch, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: join(scratch, 'ansible-home', 'tmp'),
    // The hosts share this machine's file system: their remote temporary files stay in the lab.
    ANSIBLE_REMOTE_TEMP: join(lab.directory, 'ansible-remote'),
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_PRIVATE_KEY_FILE: lab.identityFile,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    // One master connection per host, in the scratch folder; it ends a few seconds after the
    // last task, and at the latest when the lab's sshd stops.
    ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=5s -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(scratch, 'cp'),
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORKS: '5',
  };
}

/** Runs `ansible-playbook -i DIR/inventory.yml DIR/site.yml ARGS…`. */
export function runPlaybook(
  directory: string,
  environment: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<AnsibleRun> {
  return new Promise((resolve) => {
    execFile(
      'ansible-playbook',
      ['-i', join(directory, 'inventory.yml'), join(directory, 'site.yml'), ...args],
      // The working folder is the scratch folder: no ansible.cfg of the repository or elsewhere applies.
      { env: environment, cwd: environment.HOME, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Per host, the counters of the PLAY RECAP: `{ ok, changed, failed, … }`. */
export function recapOf(output: string): Map<string, Record<string, number>> {
  const recap = new Map<string, Record<string, number>>();
  const start = output.lastIndexOf('PLAY RECAP');
  for (const line of output.slice(start).split('\n').slice(1)) {
    const match = /^(\S+)\s+:\s+(.*)$/u.exec(line.trim());
    if (!match) continue;
    const counters: Record<string, number> = {};
    for (const pair of match[2]!.trim().split(/\s+/u)) {
      const [key, value] = pair.split('=');
      counters[key!] = Number(value);
    }
    recap.set(match[1]!, counters);
  }
  return recap;
}

/** A file as a host has it: bytes, permission bits and numeric owner. */
export interface HostFileState {
  content: string;
  mode: string;
  owner: string;
}

/** The state of `path` on a host whose files live under `root`; undefined when it is missing. */
export function hostFileState(root: string, path: string): HostFileState | undefined {
  const onHost = join(root, path);
  try {
    const stat = lstatSync(onHost);
    return {
      content: readFileSync(onHost).toString('base64'),
      mode: (stat.mode & 0o7777).toString(8).padStart(4, '0'),
      owner: `${stat.uid}:${stat.gid}`,
    };
  } catch {
    return undefined;
  }
}
