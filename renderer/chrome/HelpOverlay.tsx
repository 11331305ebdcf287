/**
 * The help overlay (`?`): every command that has a shortcut on this platform, as the registry
 * knows it, grouped as the menus are, and the mouse gestures of the canvas.
 */
import { registry } from '../app/app-commands';
import { currentPlatform, keyText } from '../app/registry';
import type { MenuId, Platform } from '../app/registry';
import type { AppServices } from '../app/services';
import { useServices } from '../app/services';

/** One line of the help: what a command does and the keys that do it. */
export interface HelpRow {
  id: string;
  text: string;
  keys: { text: string; key: string; note?: string }[];
}

const SECTIONS: { menu: MenuId | undefined; title: string }[] = [
  { menu: 'file', title: 'File' },
  { menu: 'edit', title: 'Edit' },
  { menu: 'arrange', title: 'Arrange' },
  { menu: 'view', title: 'View' },
  { menu: undefined, title: 'Canvas' },
];

/** The mouse's part, which no key does. */
export const GESTURES: { gesture: string; what: string }[] = [
  { gesture: 'Click', what: 'Select an item' },
  { gesture: 'Shift-, Ctrl- or ⌘-click', what: 'Add an item to the selection, or take it out' },
  { gesture: 'Drag on empty canvas', what: 'Select the items inside a box' },
  { gesture: 'Space-drag, middle-drag', what: 'Move the view' },
  { gesture: 'Wheel, pinch', what: 'Zoom' },
  { gesture: 'Double-click', what: 'Edit the label in place' },
  { gesture: 'Right-click', what: 'The context menu' },
  { gesture: 'Drag a service onto a host', what: 'Move it there (the host lights up)' },
];

/** The help's sections for a platform: commands with a shortcut, grouped like the menus. */
export function helpSections(app: AppServices, platform: Platform): { title: string; rows: HelpRow[] }[] {
  const sections = SECTIONS.map((section) => ({ ...section, rows: [] as HelpRow[] }));
  for (const command of registry.all()) {
    if (command.hidden) continue;
    const bindings = registry.bindingsOf(command, platform);
    if (bindings.length === 0) continue;
    const menus: MenuId[] = (command.menus ?? []).map((m) => m.menu).filter((m) => m !== 'canvas');
    const section = sections.find((s) => s.menu !== undefined && menus.includes(s.menu)) ?? sections.at(-1)!;
    section.rows.push({
      id: command.id,
      text: command.description ?? registry.labelOf(command.id, app),
      keys: bindings.map((binding) => ({
        text: keyText(binding.key, platform.keyboard),
        key: binding.key,
        ...(binding.note !== undefined ? { note: binding.note } : {}),
      })),
    });
  }
  return sections.filter((section) => section.rows.length > 0);
}

/** The help overlay's body. */
export function HelpOverlay() {
  const services = useServices();
  const sections = helpSections(services, currentPlatform(services));
  return (
    <div className="help-overlay" data-testid="help-overlay">
      {sections.map((section) => (
        <section key={section.title}>
          <h3>{section.title}</h3>
          <table className="shortcuts-table">
            <tbody>
              {section.rows.map((row) => (
                <tr key={row.id} data-command={row.id}>
                  <td>
                    {row.keys.map((key, index) => (
                      <span key={key.key}>
                        {index > 0 ? ' ' : ''}
                        <kbd data-key={key.key}>{key.text}</kbd>
                        {key.note ? <span className="key-note"> {key.note}</span> : null}
                      </span>
                    ))}
                  </td>
                  <td>{row.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <section>
        <h3>Mouse</h3>
        <table className="shortcuts-table">
          <tbody>
            {GESTURES.map((row) => (
              <tr key={row.gesture}>
                <td>{row.gesture}</td>
                <td>{row.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
