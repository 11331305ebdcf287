import { describe, expect, it } from 'vitest';
import { designPathsFromArguments } from '../../electron/main/launch-arguments';

describe('design files on the command line', () => {
  it('takes the files after the executable of a packaged app', () => {
    expect(
      designPathsFromArguments(
        ['/opt/Topoforge/topoforge-desktop', 'plans/a.topo.json', '/srv/b.TOPO.JSON'],
        {
          cwd: '/home/me',
          skip: 1,
        },
      ),
    ).toEqual(['/home/me/plans/a.topo.json', '/srv/b.TOPO.JSON']);
  });

  it('skips the Electron binary and the app folder while developing, and every switch', () => {
    expect(
      designPathsFromArguments(
        [
          '/x/electron',
          '.',
          '--original-process-start-time=123',
          '--enable-logging',
          'a.topo.json',
          '-psn_0_1',
        ],
        { cwd: '/home/ada', skip: 2 },
      ),
    ).toEqual(['/home/ada/a.topo.json']);
  });

  it('reads file URLs, as Linux desktop entries pass them', () => {
    expect(
      designPathsFromArguments(['topoforge', 'file:///home/me/My%20Plans/a.topo.json'], {
        cwd: '/',
        skip: 1,
      }),
    ).toEqual(['/home/me/My Plans/a.topo.json']);
  });

  it('ignores other files and URLs', () => {
    expect(
      designPathsFromArguments(['topoforge', 'notes.txt', 'https://example.com/a.topo.json', ''], {
        cwd: '/',
        skip: 1,
      }),
    ).toEqual([]);
  });

  it('treats everything after -- as a file', () => {
    expect(designPathsFromArguments(['topoforge', '--', '-odd.topo.json'], { cwd: '/d', skip: 1 })).toEqual([
      '/d/-odd.topo.json',
    ]);
  });

  it('resolves Windows paths against the working folder', () => {
    expect(
      designPathsFromArguments(['C:\\Topoforge\\Topoforge.exe', 'plan.topo.json', 'D:\\x\\b.topo.json'], {
        cwd: 'C:\\Users\\me',
        skip: 1,
        platform: 'win32',
      }),
    ).toEqual(['C:\\Users\\me\\plan.topo.json', 'D:\\x\\b.topo.json']);
  });
});
