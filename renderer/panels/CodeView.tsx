/**
 * A read-only CodeMirror 6 view of one generated file, highlighted by its syntax: nginx, the
 * `directive value` configs of HAProxy, keepalived and Redis, systemd units, YAML, JavaScript,
 * JSON and Markdown. Colours come from CSS (`.tok-*`), so the theme switch needs no new editor.
 */
import { useEffect, useRef } from 'react';
import { markdown } from '@codemirror/lang-markdown';
import { StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import type { StreamParser } from '@codemirror/language';
import { javascript, json } from '@codemirror/legacy-modes/mode/javascript';
import { nginx } from '@codemirror/legacy-modes/mode/nginx';
import { properties } from '@codemirror/legacy-modes/mode/properties';
import { yaml } from '@codemirror/legacy-modes/mode/yaml';
import { Compartment, EditorState } from '@codemirror/state';
import type { Extension } from '@codemirror/state';
import { EditorView, highlightSpecialChars, lineNumbers } from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';

/**
 * HAProxy, keepalived, Redis and Sentinel configs: `#` comments, a directive word first, then
 * values; braces for keepalived blocks. Enough to read them at a glance.
 */
const directiveConfig: StreamParser<{ lineStart: boolean }> = {
  name: 'directive-config',
  startState: () => ({ lineStart: true }),
  token(stream, state) {
    if (stream.sol()) state.lineStart = true;
    if (stream.eatSpace()) return null;
    if (stream.peek() === '#') {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) {
      state.lineStart = false;
      return 'string';
    }
    if (stream.match(/^[{}]/)) return 'bracket';
    if (stream.match(/^-?\d+(?:\.\d+)*(?:ms|s|m|h|d|k|kb|mb|gb)?\b/i)) {
      state.lineStart = false;
      return 'number';
    }
    stream.match(/^[^\s{}#"]+/);
    if (state.lineStart) {
      state.lineStart = false;
      return 'keyword';
    }
    return null;
  },
};

/** The language of a generated file, by its path. */
export function languageOf(path: string): Extension {
  const name = path.split('/').pop() ?? path;
  if (name.endsWith('.md')) return markdown();
  if (name === 'nginx.conf') return StreamLanguage.define(nginx);
  if (name.endsWith('.json')) return StreamLanguage.define(json);
  if (name.endsWith('.js')) return StreamLanguage.define(javascript);
  if (name === 'mongod.conf' || name.endsWith('.yaml') || name.endsWith('.yml'))
    return StreamLanguage.define(yaml);
  if (/\.(service|mount|socket|timer|target)$/.test(name)) return StreamLanguage.define(properties);
  return StreamLanguage.define(directiveConfig);
}

/** The accessible name and focusability of the code: "Generated file /etc/haproxy/haproxy.cfg". */
function contentLabel(path: string): Extension {
  return EditorView.contentAttributes.of({
    'aria-label': path ? `Generated file ${path}` : 'Generated file',
    'aria-readonly': 'true',
    tabindex: '0',
  });
}

/** A read-only code view. */
export function CodeView({ path, content }: { path: string; content: string }) {
  const parent = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const language = useRef(new Compartment());
  const label = useRef(new Compartment());

  useEffect(() => {
    const editor = new EditorView({
      parent: parent.current!,
      state: EditorState.create({
        doc: '',
        extensions: [
          lineNumbers(),
          highlightSpecialChars(),
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
          syntaxHighlighting(classHighlighter),
          language.current.of([]),
          // Read-only text is still read: focusable (so the keyboard can scroll it) and named.
          label.current.of(contentLabel('')),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = undefined;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    editor.dispatch({
      changes: { from: 0, to: editor.state.doc.length, insert: content },
      effects: [
        language.current.reconfigure(languageOf(path)),
        label.current.reconfigure(contentLabel(path)),
      ],
    });
  }, [path, content]);

  return <div className="code-view" ref={parent} data-testid="code-view" data-path={path} />;
}
