/**
 * Stand-ins for what Electron gives the main process: IPC events from a chosen frame, dialogs that
 * answer from a script, and a temporary folder per test.
 */
import { temporaryFolder as temporaryFolderOf } from '../lab/temporary';
import type { Finding } from '../../core/rules/catalogue';
import type { DesignDialogs } from '../../electron/main/design-service';
import type { IpcEventLike } from '../../electron/main/ipc';

/** An IPC event as the main frame of window `senderId` showing `url` sends it. */
export function eventFrom(
  senderId: number,
  url = 'app://topoforge/index.html',
  parent: unknown = null,
): IpcEventLike {
  return { sender: { id: senderId }, senderFrame: { url, parent } };
}

/** A fresh temporary folder, removed when the test file ends. */
export function temporaryFolder(prefix = 'topoforge-desktop-'): Promise<string> {
  return temporaryFolderOf(prefix);
}

/** Dialog answers for one test; every question asked is recorded. */
export interface ScriptedDialogs extends DesignDialogs<string> {
  asked: { dialog: string; window: string; defaultPath?: string; errors?: number }[];
  answers: {
    open?: string;
    saveAs?: string;
    bundleFolder?: string;
    image?: string;
    exportWithErrors?: boolean;
  };
}

/** Dialogs that answer from `answers` (undefined: the person cancelled). */
export function scriptedDialogs(answers: ScriptedDialogs['answers'] = {}): ScriptedDialogs {
  const asked: ScriptedDialogs['asked'] = [];
  return {
    asked,
    answers,
    async chooseDesignToOpen(window, defaultFolder) {
      asked.push({ dialog: 'open', window, defaultPath: defaultFolder });
      return answers.open;
    },
    async chooseDesignLocation(window, defaultPath) {
      asked.push({ dialog: 'save-as', window, defaultPath });
      return answers.saveAs;
    },
    async chooseBundleFolder(window, defaultPath) {
      asked.push({ dialog: 'bundle-folder', window, defaultPath });
      return answers.bundleFolder;
    },
    async chooseImageLocation(window, defaultPath) {
      asked.push({ dialog: 'image', window, defaultPath });
      return answers.image;
    },
    async confirmExportWithErrors(window, errors: Finding[]) {
      asked.push({ dialog: 'export-with-errors', window, errors: errors.length });
      return answers.exportWithErrors ?? false;
    },
  };
}
