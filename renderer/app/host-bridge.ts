/**
 * What the desktop shell sends and wants to know (the optional members of core/host.ts): native
 * menu commands, files to open and push progress come in; the document's name and unsaved state,
 * and recovery copies, go out. In a browser the host has none of these members and nothing is
 * connected.
 */
import { SHELL_COMMANDS } from '../../core/commands';
import { registry } from './app-commands';
import { designText, openText } from './commands';
import type { AppServices } from './services';

/** Connects the app to its host's commands and reports; returns the function that disconnects. */
export function connectHost(services: AppServices): () => void {
  const { host, store } = services;
  const stops: (() => void)[] = [];

  if (host.onCommand) {
    stops.push(
      host.onCommand((command) => {
        const state = store.getState();
        switch (command.type) {
          case 'write-recovery-copy':
            return void host.writeRecoveryCopy?.({
              fileName: state.file.name,
              ...(state.file.location !== undefined ? { location: state.file.location } : {}),
              text: designText(state.design),
            });
          case 'open-design':
            return void openText(
              services,
              command.design.fileName,
              command.design.text,
              command.design.location,
              {
                recovered: command.recovered,
              },
            );
          default:
            // A native menu command: the registry runs it, as the page's own menus and keys do.
            registry.run(SHELL_COMMANDS[command.type].id, services);
        }
      }),
    );
  }

  if (host.onPushEvent) {
    stops.push(host.onPushEvent((event) => store.getState().recordPushEvent(event)));
  }

  if (host.onCollectEvent) {
    stops.push(host.onCollectEvent((event) => store.getState().recordCollectEvent(event)));
  }

  if (host.reportDocumentState) {
    const report = () => {
      const { file, dirty } = store.getState();
      void host.reportDocumentState?.({
        fileName: file.name,
        ...(file.location !== undefined ? { location: file.location } : {}),
        dirty,
      });
    };
    report();
    stops.push(
      store.subscribe((state, previous) => {
        if (state.file !== previous.file || state.dirty !== previous.dirty) report();
      }),
    );
  }
  return () => stops.forEach((stop) => stop());
}
