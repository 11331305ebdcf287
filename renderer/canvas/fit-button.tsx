/** The controls' Fit button: the registry's `view.fit`, the same fit as `F` and opening a design. */
import { ControlButton } from '@xyflow/react';
import { Maximize } from 'lucide-react';
import { registry } from '../app/app-commands';
import { currentPlatform } from '../app/registry';
import { useServices } from '../app/services';

/** Fits the design in view. */
export function FitButton() {
  const services = useServices();
  const label = `${registry.labelOf('view.fit', services)} (${registry.shortcutOf('view.fit', currentPlatform(services))})`;
  return (
    <ControlButton
      className="react-flow__controls-fitview"
      onClick={() => registry.run('view.fit', services)}
      title={label}
      aria-label={label}
      data-testid="fit-button"
    >
      <Maximize size={12} />
    </ControlButton>
  );
}
