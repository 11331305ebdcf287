/**
 * The canvas's search box (Ctrl/⌘+F): type, and Enter jumps to each match in turn (Shift+Enter
 * back), selecting it and bringing it into view; an item inside a collapsed pool is shown by the
 * pool's node. Escape closes the box and gives the keyboard back to the canvas.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { ChevronDown, ChevronUp, X } from 'lucide-react';
import { focusItems } from '../app/commands';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import { searchDesign } from './search';
import './interact.css';

/** The id of the search field, which `edit.find` focuses when the box is already open. */
export const SEARCH_FIELD_ID = 'canvas-search-field';

const FIELD_WORDS = { id: 'id', label: 'label', address: 'address', kind: 'kind' } as const;

/** The search box, while open. */
export function SearchBox() {
  const services = useServices();
  const open = useAppStore((s) => s.searchOpen);
  const design = useAppStore((s) => s.design);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const hits = useMemo(() => (open ? searchDesign(design, query) : []), [open, design, query]);

  useEffect(() => {
    if (open) {
      input.current?.focus();
      input.current?.select();
    }
  }, [open]);

  if (!open) return null;
  const close = () => {
    services.store.getState().setSearchOpen(false);
    document.querySelector<HTMLElement>('.react-flow__pane')?.focus();
  };
  const go = (step: 1 | -1) => {
    if (hits.length === 0) return;
    const next =
      current < 0 ? (step === 1 ? 0 : hits.length - 1) : (current + step + hits.length) % hits.length;
    setCurrent(next);
    focusItems(services, [hits[next]!.id]);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      go(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      go(event.key === 'ArrowDown' ? 1 : -1);
    }
  };
  const hit = current >= 0 ? hits[current] : undefined;
  const count =
    query.trim() === ''
      ? ''
      : hits.length === 0
        ? 'No match'
        : current < 0
          ? `${hits.length} found`
          : `${current + 1} of ${hits.length}`;
  return (
    <div className="canvas-search" role="search" data-testid="search">
      <div className="canvas-search-row">
        <input
          id={SEARCH_FIELD_ID}
          ref={input}
          type="search"
          value={query}
          placeholder="Find ids, labels, addresses, kinds"
          aria-label="Find on the canvas"
          data-testid="search-field"
          spellCheck={false}
          onChange={(event) => {
            setQuery(event.target.value);
            setCurrent(-1);
          }}
          onKeyDown={onKeyDown}
        />
        <span className="canvas-search-count" data-testid="search-count" aria-live="polite">
          {count}
        </span>
        <button type="button" className="icon-button" aria-label="Previous match" onClick={() => go(-1)}>
          <ChevronUp size={14} />
        </button>
        <button type="button" className="icon-button" aria-label="Next match" onClick={() => go(1)}>
          <ChevronDown size={14} />
        </button>
        <button type="button" className="icon-button" aria-label="Close the search" onClick={close}>
          <X size={14} />
        </button>
      </div>
      {hit ? (
        <div className="canvas-search-hit" data-testid="search-hit">
          {hit.id}
          {hit.field === 'id' ? '' : ` · ${FIELD_WORDS[hit.field]} ${hit.text}`}
        </div>
      ) : null}
    </div>
  );
}
