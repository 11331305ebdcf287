/**
 * The config preview: pick a host and read the files the bundle puts there, regenerated live as
 * the design changes (in the generate worker), with the bundle's README and manifest.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Bundle } from '../../core/generate/index';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';
import { LatestOnly } from '../workers/rpc';
import { CodeView } from './CodeView';

/** The entry of the host picker for files that belong to no host: README, scripts, manifest. */
const BUNDLE_FILES = '__bundle';
const DEBOUNCE_MS = 200;

interface PreviewFile {
  path: string;
  content: string;
}

/** The preview panel. */
export function PreviewPanel() {
  const services = useServices();
  const { design, revision, previewHost, errors } = useAppStore(
    useShallow((s) => ({
      design: s.design,
      revision: s.revision,
      previewHost: s.previewHost,
      errors: s.analysis?.counts.error ?? 0,
    })),
  );
  const [generated, setGenerated] = useState<
    { bundle: Bundle; durationMs: number; revision: number } | undefined
  >();
  const [failure, setFailure] = useState<string | undefined>();
  const [chosenPath, setChosenPath] = useState<string | undefined>();
  const channel = useRef<LatestOnly<{ revision: number; design: typeof design }, void> | undefined>(
    undefined,
  );

  channel.current ??= new LatestOnly(
    async (request) => {
      const response = await services.generate({
        kind: 'bundle',
        revision: request.revision,
        design: request.design,
      });
      if (response.kind === 'bundle') {
        setGenerated({
          bundle: response.bundle,
          durationMs: response.durationMs,
          revision: response.revision,
        });
        setFailure(undefined);
      }
    },
    () => {},
    (error) => setFailure(error.message),
  );

  const first = useRef(true);
  useEffect(() => {
    // The first preview comes at once; later ones wait for a pause in the editing.
    const timer = setTimeout(
      () => channel.current!.request({ revision, design }),
      first.current ? 0 : DEBOUNCE_MS,
    );
    first.current = false;
    return () => clearTimeout(timer);
  }, [design, revision]);

  const hostsWithFiles = useMemo(() => {
    const hosts = new Set(generated?.bundle.files.flatMap((f) => (f.host ? [f.host] : [])) ?? []);
    return design.hosts.filter((h) => hosts.has(h.id)).map((h) => h.id as string);
  }, [generated, design.hosts]);

  const selectedHost =
    previewHost && (previewHost === BUNDLE_FILES || hostsWithFiles.includes(previewHost))
      ? previewHost
      : (hostsWithFiles[0] ?? BUNDLE_FILES);

  const files: PreviewFile[] = useMemo(() => {
    if (!generated) return [];
    if (selectedHost === BUNDLE_FILES) {
      return [
        ...generated.bundle.files
          .filter((f) => f.host === undefined)
          .map((f) => ({ path: f.path, content: f.content })),
        { path: 'manifest.json', content: `${JSON.stringify(generated.bundle.manifest, null, 2)}\n` },
      ];
    }
    return generated.bundle.files
      .filter((f) => f.host === selectedHost)
      .map((f) => ({ path: f.path, content: f.content }));
  }, [generated, selectedHost]);

  const file = files.find((f) => f.path === chosenPath) ?? files[0];

  return (
    <div className="preview-panel" data-testid="preview-panel">
      <div className="preview-bar">
        <label>
          Host{' '}
          <select
            value={selectedHost}
            data-testid="preview-host"
            onChange={(e) => {
              services.store.getState().setPreviewHost(e.target.value);
              setChosenPath(undefined);
            }}
          >
            {hostsWithFiles.map((host) => (
              <option key={host} value={host}>
                {host}
              </option>
            ))}
            <option value={BUNDLE_FILES}>Bundle: README, scripts, manifest</option>
          </select>
        </label>
        <span className="hint">
          {generated
            ? `${generated.bundle.files.length + 1} files · ${Math.round(generated.durationMs)} ms`
            : 'Generating…'}
          {generated && generated.revision !== revision ? ' · updating' : ''}
        </span>
      </div>
      {errors > 0 ? (
        <div className="preview-warning">
          The design has {errors} error finding{errors === 1 ? '' : 's'}: the command line refuses to generate
          it without --force.
        </div>
      ) : null}
      {failure ? <div className="form-problems">Generation failed: {failure}</div> : null}
      <div className="file-tabs" role="tablist">
        {files.map((f) => (
          <button
            key={f.path}
            type="button"
            role="tab"
            aria-selected={f === file}
            className={f === file ? 'active' : undefined}
            onClick={() => setChosenPath(f.path)}
            title={f.path}
          >
            {f.path.split('/').pop()}
          </button>
        ))}
      </div>
      {file ? (
        <>
          <div className="file-path">
            {selectedHost === BUNDLE_FILES ? file.path : `${selectedHost}:${file.path}`}
          </div>
          <CodeView path={file.path} content={file.content} />
        </>
      ) : generated ? (
        <div className="panel-empty">No files for this host.</div>
      ) : null}
    </div>
  );
}
