/**
 * The inspector: the selected item's fields, as the schema describes them. A value is committed on
 * Enter or when the field loses focus; the loader then checks the whole edited design, and a
 * refused value stays in the field, marked, with the schema's message, while the design keeps
 * its previous value. Escape puts the stored value back.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { idsOf } from '../../core/edit/ids';
import { renameItem } from '../../core/edit/rename';
import type { PathSegment } from '../../core/json-path';
import type { LoadProblem } from '../../core/load';
import { GROUP_KINDS, linkKindOf } from '../../core/model';
import type { Design, GroupKind } from '../../core/model';
import { registry } from '../app/app-commands';
import { currentPlatform } from '../app/registry';
import { useServices } from '../app/services';
import {
  ENTRYPOINT_VIA_INFO,
  GROUP_KIND_INFO,
  KindTile,
  SERVICE_KIND_INFO,
  CONTAINER_INFO,
} from '../canvas/kinds';
import type { KindInfo } from '../canvas/kinds';
import { DESIGN_FIELD_ATTRIBUTE } from '../chrome/shortcuts';
import { objectiveText, parseObjective } from '../panels/objectives';
import { parseEdgeId } from '../state/edge-ids';
import { useAppStore } from '../state/store';
import { Connections } from './Connections';
import { addressClash, whereInWords } from './problem-words';
import { fieldsOfDesign, fieldsOfItem, isUnder, locateItem, referenceChoices } from './schema-fields';
import type { FieldSpec, ItemLocation } from './schema-fields';

/** Commits a value at a path inside the item; returns the problems that refused it, if any. */
type Commit = (path: PathSegment[], value: unknown) => LoadProblem[];

/** Sets (or, with `undefined`, removes) a value at a path, creating and pruning objects on the way. */
export function setAtPath(target: Record<string, unknown>, path: PathSegment[], value: unknown): void {
  const parents: Record<string, unknown>[] = [];
  let node: Record<string, unknown> = target;
  for (const segment of path.slice(0, -1)) {
    parents.push(node);
    const key = String(segment);
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = String(path[path.length - 1]);
  if (value === undefined) delete node[last];
  else node[last] = value;
  // An optional object left empty goes: `ssh: {}` says nothing.
  for (let depth = path.length - 2; depth >= 0; depth--) {
    const parent = parents[depth]!;
    const key = String(path[depth]);
    const child = parent[key];
    if (
      typeof child === 'object' &&
      child !== null &&
      !Array.isArray(child) &&
      Object.keys(child).length === 0
    ) {
      delete parent[key];
    } else break;
  }
}

/** The inspector panel. */
export function Inspector() {
  const services = useServices();
  const design = useAppStore((s) => s.design);
  const selection = useAppStore(useShallow((s) => s.selection));
  const linkIds = useAppStore((s) => s.linkIds);

  if (selection.length === 0) return <DesignForm design={design} />;
  if (selection.length > 1) {
    const count = selection.length;
    const chosen = new Set(selection);
    const chosenServices = design.services.filter((s) => chosen.has(s.id));
    return (
      <div className="inspector">
        <header className="inspector-header">
          <div>
            <div className="inspector-title">{count} items selected</div>
            <div className="inspector-subtitle">
              {selection.slice(0, 8).join(', ')}
              {count > 8 ? ', …' : ''}
            </div>
          </div>
        </header>
        {chosenServices.length > 0 ? (
          <section className="form-section">
            <h3>Group the selected services</h3>
            <div className="button-row">
              {GROUP_KINDS.map((kind: GroupKind) => (
                <button
                  key={kind}
                  type="button"
                  disabled={!registry.isEnabled(`edit.group-as-${kind}`, services)}
                  title={
                    registry.isEnabled(`edit.group-as-${kind}`, services)
                      ? undefined
                      : `None of these can join a ${GROUP_KIND_INFO[kind].name.toLowerCase()}`
                  }
                  onClick={() => registry.run(`edit.group-as-${kind}`, services)}
                  data-testid={`group-as-${kind}`}
                >
                  <KindTile info={GROUP_KIND_INFO[kind]} size={18} /> {GROUP_KIND_INFO[kind].name}
                </button>
              ))}
            </div>
          </section>
        ) : null}
        <div className="button-row">
          <button type="button" onClick={() => registry.run('edit.duplicate', services)}>
            Duplicate
          </button>
          <button type="button" className="danger" onClick={() => registry.run('edit.delete', services)}>
            Delete {count} items
          </button>
        </div>
      </div>
    );
  }

  const id = selection[0]!;
  const edge = parseEdgeId(id);
  if (edge?.role === 'member') {
    const service = design.services.find((s) => s.id === edge.service);
    return (
      <EdgeSummary
        title={`${edge.service} is a member of ${service?.group ?? '…'}`}
        action="Remove from the group"
        onAction={() => registry.run('edit.delete', services)}
      />
    );
  }
  if (edge?.role === 'target') {
    return (
      <EdgeSummary
        title={`Entrypoint ${edge.entrypoint} sends clients to ${edge.target}`}
        action="Remove this target"
        onAction={() => registry.run('edit.delete', services)}
      />
    );
  }
  const location = locateItem(design, id, linkIds);
  if (!location) return <DesignForm design={design} />;
  return <ItemForm key={id} id={id} design={design} location={location} />;
}

function EdgeSummary({ title, action, onAction }: { title: string; action: string; onAction: () => void }) {
  return (
    <div className="inspector">
      <header className="inspector-header">
        <div className="inspector-title">{title}</div>
      </header>
      <div className="button-row">
        <button type="button" className="danger" onClick={onAction}>
          {action}
        </button>
      </div>
    </div>
  );
}

function infoOf(location: ItemLocation, item: Record<string, unknown>): { info?: KindInfo; noun: string } {
  switch (location.collection) {
    case 'services': {
      const info = SERVICE_KIND_INFO[item.kind as keyof typeof SERVICE_KIND_INFO];
      return { info, noun: info?.name ?? 'Service' };
    }
    case 'groups': {
      const info = GROUP_KIND_INFO[item.kind as keyof typeof GROUP_KIND_INFO];
      return { info, noun: info?.name ?? 'Group' };
    }
    case 'entrypoints': {
      const info = ENTRYPOINT_VIA_INFO[item.via as keyof typeof ENTRYPOINT_VIA_INFO];
      return { info, noun: 'Entrypoint' };
    }
    case 'hosts':
      return { info: CONTAINER_INFO.host, noun: 'Host' };
    case 'sites':
      return { info: CONTAINER_INFO.site, noun: 'Site' };
    default:
      return { noun: 'Link' };
  }
}

function ItemForm({ id, design, location }: { id: string; design: Design; location: ItemLocation }) {
  const services = useServices();
  const [formProblems, setFormProblems] = useState<LoadProblem[]>([]);
  const item = (design[location.collection] as unknown as Record<string, unknown>[])[location.index]!;
  const fields = fieldsOfItem(location.collection, item);
  const { info, noun } = infoOf(location, item);
  const findings = useAppStore(
    useShallow((s) => (s.analysis?.findings ?? []).filter((f) => f.subjects.includes(id))),
  );

  const commit: Commit = (path, value) => {
    const store = services.store.getState();
    const itemId = typeof item.id === 'string' ? item.id : undefined;
    // Where the item is now: the form may have been drawn before an edit moved it in its list.
    const current = locateItem(store.design, id, store.linkIds);
    if (!current) return [];
    if (path[0] === 'id' && value !== itemId && typeof value === 'string' && idsOf(design).has(value)) {
      // The loader would report the clash at whichever item comes later in the file; say it here.
      const other = locateItem(design, value);
      const what = other ? `${other.collection.replace(/s$/, '')} ${value}` : value;
      return [
        {
          path: [...current.path, 'id'].join('.'),
          segments: [...current.path, 'id'],
          message: `'${value}' is already the id of ${what}; ids are unique across sites, hosts, services, groups and entrypoints`,
        },
      ];
    }
    if (location.collection === 'hosts' && path.length === 1 && path[0] === 'address') {
      const clash = addressClash(design, location.index, value);
      if (clash) return [clash];
    }
    const label = `Set ${itemId ?? `link ${String(item.from)} → ${String(item.to)}`} ${path.join('.')}`;
    const outcome = store.editDesign(label, (draft) => {
      if (path.length === 1 && path[0] === 'id' && itemId !== undefined) {
        renameItem(draft, itemId, typeof value === 'string' ? value : String(value ?? ''));
        return;
      }
      const list = draft[current.collection] as unknown as Record<string, unknown>[];
      setAtPath(list[current.index]!, path, value);
    });
    if (outcome.ok) {
      setFormProblems([]);
      if (path[0] === 'id' && typeof value === 'string' && itemId !== undefined) store.select([value]);
      return [];
    }
    const fieldPath = [...current.path, ...path];
    const mine = outcome.problems.filter((p) => isUnder(p.segments, fieldPath));
    const elsewhere = outcome.problems.filter((p) => !isUnder(p.segments, fieldPath));
    // A refused rename also breaks the references it renamed; the id's own problem says why.
    if (path[0] === 'id') {
      const own = outcome.problems.filter((p) => isUnder(p.segments, [...current.path, 'id']));
      return own.length > 0 ? own : outcome.problems;
    }
    setFormProblems(elsewhere);
    return mine.length > 0 ? mine : elsewhere;
  };

  const linkDefault =
    location.collection === 'links'
      ? linkKindOf(
          item as never,
          design.services.find((s) => s.id === item.from),
        )
      : undefined;

  return (
    <div className="inspector" data-testid="inspector">
      <header className="inspector-header">
        {info ? <KindTile info={info} size={30} /> : null}
        <div>
          <div className="inspector-title">
            {location.collection === 'links'
              ? `${String(item.from)} → ${String(item.to)}`
              : String(item.label ?? id)}
          </div>
          <div className="inspector-subtitle">
            {noun}
            {location.collection !== 'links' ? ` · ${id}` : ''}
          </div>
        </div>
        <button
          type="button"
          className="danger small"
          onClick={() => registry.run('edit.delete', services)}
          title={`Delete (${registry.shortcutOf('edit.delete', currentPlatform(services))})`}
        >
          Delete
        </button>
      </header>
      {formProblems.length > 0 ? (
        <div className="form-problems" role="alert">
          {formProblems.map((p) => (
            <details key={p.path + p.message} className="problem-details">
              <summary>
                {whereInWords(design, p.segments)}: {p.message}
              </summary>
              <code>{p.path}</code>
            </details>
          ))}
        </div>
      ) : null}
      <div className="form" {...{ [DESIGN_FIELD_ATTRIBUTE]: '' }}>
        {fields.map((field) => (
          <Field
            key={field.key}
            spec={field}
            path={[field.key]}
            value={item[field.key]}
            design={design}
            commit={commit}
            defaultText={
              field.key === 'kind' && location.collection === 'links' ? `default: ${linkDefault}` : undefined
            }
          />
        ))}
      </div>
      {location.collection === 'services' ? <Connections id={id} design={design} /> : null}
      {findings.length > 0 ? (
        <section className="form-section">
          <h3>Findings</h3>
          <ul className="finding-list compact">
            {findings.map((f) => (
              <li key={f.rule + f.subjects.join()} className={`severity-${f.severity}`}>
                <span className="rule">{f.rule}</span> {f.message}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

function DesignForm({ design }: { design: Design }) {
  const services = useServices();
  const counts = useAppStore(useShallow((s) => s.analysis?.counts));
  const commit: Commit = (path, value) => {
    const outcome = services.store.getState().editDesign(`Set design ${path.join('.')}`, (draft) => {
      setAtPath(draft as unknown as Record<string, unknown>, path, value);
    });
    return outcome.ok ? [] : outcome.problems;
  };
  return (
    <div className="inspector" data-testid="inspector">
      <header className="inspector-header">
        <div>
          <div className="inspector-title">{design.name}</div>
          <div className="inspector-subtitle">
            Design · {design.sites?.length ?? 0} sites · {design.hosts.length} hosts ·{' '}
            {design.services.length} services · {design.groups?.length ?? 0} groups ·{' '}
            {design.entrypoints?.length ?? 0} entrypoints
          </div>
        </div>
      </header>
      <div className="form" {...{ [DESIGN_FIELD_ATTRIBUTE]: '' }}>
        {fieldsOfDesign().map((field) => (
          <Field
            key={field.key}
            spec={field}
            path={[field.key]}
            value={(design as unknown as Record<string, unknown>)[field.key]}
            design={design}
            commit={commit}
          />
        ))}
      </div>
      <p className="hint">
        Drag services from the palette onto the canvas. Select an item to edit it here.
        {counts
          ? ` The design has ${counts.error} errors, ${counts.warning} warnings and ${counts.info} notes.`
          : ''}
      </p>
    </div>
  );
}

interface FieldProps {
  spec: FieldSpec;
  path: PathSegment[];
  value: unknown;
  design: Design;
  commit: Commit;
  defaultText?: string | undefined;
}

function FieldFrame({
  spec,
  inputId,
  error,
  children,
}: {
  spec: FieldSpec;
  inputId: string;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' has-error' : ''}`} data-field={spec.key}>
      <label htmlFor={inputId}>
        {spec.label}
        {spec.required ? (
          <span className="required" title="required">
            {' '}
            *
          </span>
        ) : null}
      </label>
      {children}
      {error ? (
        <div className="field-error" role="alert" data-testid={`error-${spec.key}`}>
          {error}
        </div>
      ) : spec.description ? (
        <div className="field-help">{spec.description}</div>
      ) : null}
    </div>
  );
}

function messageOf(problems: LoadProblem[]): string | undefined {
  return problems.length === 0 ? undefined : problems.map((p) => p.message).join('; ');
}

function Field(props: FieldProps) {
  const { spec } = props;
  switch (spec.control) {
    case 'boolean':
      return <BooleanField {...props} />;
    case 'enum':
      return <EnumField {...props} />;
    case 'reference':
      return <ReferenceField {...props} />;
    case 'references':
      return <ReferencesField {...props} />;
    case 'object':
      return <ObjectField {...props} />;
    case 'list':
      return <ListField {...props} />;
    default:
      return <TextField {...props} />;
  }
}

/** Ctrl+Z (⌘Z) or a redo key, which in a field act on the design's one history. */
function isUndoKey(event: globalThis.KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && ['z', 'y'].includes(event.key.toLowerCase());
}

function parseText(spec: FieldSpec, text: string): unknown {
  if (text === '' && !spec.required) return undefined;
  if (spec.control === 'integer' || spec.control === 'number') {
    const trimmed = text.trim();
    // Anything that is not a plain number goes to the schema as text, which says what it wants.
    return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : text;
  }
  return text;
}

function TextField({ spec, path, value, commit }: FieldProps) {
  const inputId = useId();
  const stored =
    spec.objective !== undefined
      ? objectiveText(spec.objective, typeof value === 'number' ? value : undefined)
      : value === undefined
        ? ''
        : String(value);
  const [text, setText] = useState(stored);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setText(stored);
    setError(undefined);
  }, [stored]);

  const apply = () => {
    if (text === stored) {
      setError(undefined);
      return;
    }
    const parsed =
      spec.objective !== undefined ? parseObjective(spec.objective, text) : parseText(spec, text);
    if (spec.objective !== undefined && typeof parsed === 'string') {
      setError(parsed);
      return;
    }
    setError(messageOf(commit(path, parsed)));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !(spec.control === 'multiline' && event.shiftKey)) {
      event.preventDefault();
      apply();
    } else if (event.key === 'Escape') {
      setText(stored);
      setError(undefined);
    } else if (isUndoKey(event.nativeEvent) && text !== stored) {
      // Typing not yet committed is taken back first; once the field shows the design's value,
      // the same keys undo the design itself (the window's shortcuts, one history).
      event.preventDefault();
      setText(stored);
      setError(undefined);
    }
  };
  const common = {
    id: inputId,
    value: text,
    'aria-invalid': error ? true : undefined,
    'data-testid': `field-${path.join('.')}`,
    readOnly: spec.readOnly,
    onBlur: apply,
    onKeyDown,
    spellCheck: false,
  };
  return (
    <FieldFrame spec={spec} inputId={inputId} error={error}>
      {spec.control === 'multiline' ? (
        <textarea {...common} rows={4} onChange={(e) => setText(e.target.value)} />
      ) : (
        <input
          {...common}
          type="text"
          inputMode={
            spec.control === 'integer' ? 'numeric' : spec.control === 'number' ? 'decimal' : undefined
          }
          onChange={(e) => setText(e.target.value)}
        />
      )}
    </FieldFrame>
  );
}

function BooleanField({ spec, path, value, commit }: FieldProps) {
  const inputId = useId();
  const [error, setError] = useState<string | undefined>();
  return (
    <div className={`field checkbox-field${error ? ' has-error' : ''}`} data-field={spec.key}>
      <label htmlFor={inputId}>
        <input
          id={inputId}
          type="checkbox"
          checked={(value ?? spec.defaultValue) === true}
          data-testid={`field-${path.join('.')}`}
          // Unset stands for the schema's default; only the other value is written to the file.
          onChange={(e) =>
            setError(
              messageOf(
                commit(
                  path,
                  e.target.checked === (spec.defaultValue ?? false) ? undefined : e.target.checked,
                ),
              ),
            )
          }
        />
        {spec.label}
      </label>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : spec.description ? (
        <div className="field-help">{spec.description}</div>
      ) : null}
    </div>
  );
}

function EnumField({ spec, path, value, commit, defaultText }: FieldProps) {
  const inputId = useId();
  const [error, setError] = useState<string | undefined>();
  const choices = spec.choices ?? [];
  const index = choices.findIndex((c) => c === value);
  return (
    <FieldFrame spec={spec} inputId={inputId} error={error}>
      <select
        id={inputId}
        value={index < 0 ? '' : String(index)}
        data-testid={`field-${path.join('.')}`}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          const chosen = e.target.value === '' ? undefined : choices[Number(e.target.value)];
          setError(messageOf(commit(path, chosen)));
        }}
      >
        {!spec.required || index < 0 ? (
          <option value="">{defaultText ?? (spec.required ? 'choose…' : 'default')}</option>
        ) : null}
        {choices.map((choice, i) => (
          <option key={String(choice)} value={String(i)}>
            {String(choice)}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/**
 * The choices of a reference field, and the handlers that draw them all once the person reaches
 * for the list. A list of every host (1,758 at 5,000 services) or service cost each selection and
 * each edit of the inspector tens of milliseconds to draw and compare; until the list gets the
 * focus or the pointer, it holds only what is chosen, which is all a closed list shows. A pointer
 * press draws the rest before the browser opens the list (React renders it within the event).
 */
function useReferenceChoices(spec: FieldSpec, design: Design, chosen: readonly string[]) {
  const [reached, setReached] = useState(false);
  const { sites, hosts, services, groups } = design;
  const key = (spec.references ?? []).join();
  const choices = useMemo(
    () =>
      referenceChoices(
        { sites, hosts, services, groups },
        key === '' ? [] : (key.split(',') as NonNullable<FieldSpec['references']>),
      ),
    [key, sites, hosts, services, groups],
  );
  const shown = reached ? choices : choices.filter((choice) => chosen.includes(choice.id));
  const reach = () => setReached(true);
  return { choices, shown, handlers: { onFocus: reach, onPointerDown: reach, onMouseDown: reach } };
}

function ReferenceField({ spec, path, value, design, commit }: FieldProps) {
  const inputId = useId();
  const [error, setError] = useState<string | undefined>();
  const chosen = typeof value === 'string' ? value : '';
  const { shown, handlers } = useReferenceChoices(spec, design, [chosen]);
  return (
    <FieldFrame spec={spec} inputId={inputId} error={error}>
      <select
        id={inputId}
        value={chosen}
        data-testid={`field-${path.join('.')}`}
        {...handlers}
        onChange={(e) =>
          setError(messageOf(commit(path, e.target.value === '' ? undefined : e.target.value)))
        }
      >
        {!spec.required ? <option value="">none</option> : null}
        {shown.map((choice) => (
          <option key={choice.id} value={choice.id}>
            {choice.id} ({choice.hint})
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

function ReferencesField({ spec, path, value, design, commit }: FieldProps) {
  const inputId = useId();
  const [error, setError] = useState<string | undefined>();
  const current = Array.isArray(value) ? (value as string[]) : [];
  const { shown, handlers } = useReferenceChoices(spec, design, []);
  const choices = shown.filter((c) => !current.includes(c.id));
  return (
    <FieldFrame spec={spec} inputId={inputId} error={error}>
      <div className="chips">
        {current.map((id) => (
          <span className="chip" key={id}>
            {id}
            <button
              type="button"
              aria-label={`Remove ${id}`}
              onClick={() =>
                setError(
                  messageOf(
                    commit(
                      path,
                      current.filter((c) => c !== id),
                    ),
                  ),
                )
              }
            >
              ×
            </button>
          </span>
        ))}
        <select
          id={inputId}
          value=""
          {...handlers}
          onChange={(e) => e.target.value && setError(messageOf(commit(path, [...current, e.target.value])))}
        >
          <option value="">add…</option>
          {choices.map((choice) => (
            <option key={choice.id} value={choice.id}>
              {choice.id} ({choice.hint})
            </option>
          ))}
        </select>
      </div>
    </FieldFrame>
  );
}

/**
 * An optional object such as `tls` or `healthCheck`. Its required fields are collected here until
 * all are filled, so that `cert` can be typed before `key` without the half-made object being
 * refused; after that each change commits the whole object.
 */
function ObjectField({ spec, path, value, design, commit }: FieldProps) {
  const stored = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const [pending, setPending] = useState<Record<string, unknown>>({});
  const required = (spec.fields ?? []).filter((f) => f.required).map((f) => f.key);
  const merged = { ...stored, ...pending };
  const missing = required.filter((key) => merged[key] === undefined);

  const commitInner: Commit = (innerPath, innerValue) => {
    const next = { ...merged };
    const key = String(innerPath[innerPath.length - 1]);
    if (innerValue === undefined) delete next[key];
    else next[key] = innerValue;
    const stillMissing = required.filter((k) => next[k] === undefined);
    const empty = Object.keys(next).length === 0;
    if (stillMissing.length > 0 && !empty) {
      setPending(next);
      return [];
    }
    const problems = commit(path, empty ? undefined : next);
    if (problems.length === 0) setPending({});
    return problems;
  };

  return (
    <fieldset className="field-object" data-field={spec.key}>
      <legend>{spec.label}</legend>
      {(spec.fields ?? []).map((field) => (
        <Field
          key={field.key}
          // An empty optional object asks for nothing: its fields are required only once it is used.
          spec={{ ...field, required: field.required === true && Object.keys(merged).length > 0 }}
          path={[...path, field.key]}
          value={merged[field.key]}
          design={design}
          commit={commitInner}
        />
      ))}
      {missing.length > 0 && Object.keys(merged).length > 0 ? (
        <div className="field-help pending">Fill in {missing.join(' and ')} to apply.</div>
      ) : null}
    </fieldset>
  );
}

/** A list of objects, such as a balancer's listeners. */
function ListField({ spec, path, value, design, commit }: FieldProps) {
  const [error, setError] = useState<string | undefined>();
  const rows = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  const fields = spec.fields ?? [];
  const newRow = (): Record<string, unknown> => {
    const used = new Set(rows.map((r) => r.port));
    const port = [80, 443, 8080, 8443, 10000].find((p) => !used.has(p)) ?? 8000 + rows.length;
    return Object.fromEntries(
      fields.flatMap((f) => (f.key === 'port' ? [['port', port]] : f.choices ? [[f.key, f.choices[0]]] : [])),
    );
  };
  const commitRows = (next: Record<string, unknown>[]) =>
    setError(messageOf(commit(path, next.length > 0 ? next : undefined)));
  return (
    <fieldset className="field-list" data-field={spec.key}>
      <legend>{spec.label}</legend>
      {rows.map((row, index) => (
        <div className="list-row" key={index}>
          {fields.map((field) => (
            <Field
              key={field.key}
              spec={field}
              path={[...path, index, field.key]}
              value={row[field.key]}
              design={design}
              commit={(_p, v) => {
                const next = rows.map((r, i) => (i === index ? { ...r, [field.key]: v } : r));
                return commit(path, next);
              }}
            />
          ))}
          <button
            type="button"
            className="small"
            aria-label={`Remove ${spec.label} ${index + 1}`}
            onClick={() => commitRows(rows.filter((_, i) => i !== index))}
          >
            ×
          </button>
        </div>
      ))}
      <button type="button" className="small" onClick={() => commitRows([...rows, newRow()])}>
        Add {spec.label.toLowerCase().replace(/s$/, '')}
      </button>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : spec.description ? (
        <div className="field-help">{spec.description}</div>
      ) : null}
    </fieldset>
  );
}
