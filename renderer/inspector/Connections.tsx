/**
 * A service's links in the inspector, and a way to draw one without a pointer: pick what it
 * sends traffic to or uses, press Add link. The same edit as dragging between handles.
 */
import { useMemo, useState } from 'react';
import type { Design } from '../../core/model';
import { connectItems } from '../app/commands';
import { useServices } from '../app/services';

/** The links of service `id`, and the control that adds one. */
export function Connections({ id, design }: { id: string; design: Design }) {
  const services = useServices();
  // Every other service and group: 5,000 options at 5,000 services, which cost each drop and each
  // inspector edit with a service selected tens of milliseconds to build and compare. As a
  // reference field's list (Inspector.tsx, useReferenceChoices), it holds only what is chosen until
  // the person reaches for it (focus, or a pointer press, which React draws before the list opens).
  const [reached, setReached] = useState(false);
  const { services: items, groups } = design;
  const candidates = useMemo(
    () =>
      reached
        ? [
            ...items.filter((s) => s.id !== id).map((s) => ({ id: s.id as string, name: s.label ?? s.id })),
            ...(groups ?? []).map((g) => ({ id: g.id as string, name: `${g.label ?? g.id} (group)` })),
          ]
        : [],
    [reached, items, groups, id],
  );
  const reach = () => setReached(true);
  const [target, setTarget] = useState('');
  const outgoing = (design.links ?? []).filter((l) => l.from === id);
  const chosen = candidates.some((c) => c.id === target) ? target : '';
  return (
    <section className="form-section connections" aria-labelledby={`links-of-${id}`}>
      <h3 id={`links-of-${id}`}>Links</h3>
      {outgoing.length === 0 ? (
        <div className="hint">It sends traffic to nothing and uses nothing yet.</div>
      ) : (
        <ul className="link-list">
          {outgoing.map((link, index) => (
            <li key={`${link.to}|${link.port ?? ''}|${index}`}>
              → {link.to}
              {link.port !== undefined ? `:${link.port}` : ''}
              {link.kind ? ` (${link.kind})` : ''}
            </li>
          ))}
        </ul>
      )}
      <div className="chips">
        <label htmlFor={`link-target-${id}`} className="visually-hidden">
          Link {id} to
        </label>
        <select
          id={`link-target-${id}`}
          data-testid="link-target"
          value={chosen}
          onFocus={reach}
          onPointerDown={reach}
          onMouseDown={reach}
          onChange={(event) => setTarget(event.target.value)}
        >
          <option value="">Link to…</option>
          {candidates.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {candidate.name}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="small"
          data-testid="add-link"
          disabled={chosen === ''}
          onClick={() => {
            connectItems(services, id, chosen, 'in');
            setTarget('');
          }}
        >
          Add link
        </button>
      </div>
    </section>
  );
}
