/** The status bar: findings at a glance, whether the checks are current, notices. */
import { useShallow } from 'zustand/react/shallow';
import { registry } from '../app/app-commands';
import { useServices } from '../app/services';
import { useAppStore } from '../state/store';

/** The status bar at the bottom of the window. */
export function StatusBar() {
  const view = useAppStore(
    useShallow((s) => ({
      counts: s.analysis?.counts,
      durationMs: s.analysis?.durationMs,
      current: s.analysis?.revision === s.revision,
      arranging: s.arranging,
      whatIf: s.whatIf,
      failed: s.failed.length,
      cut: s.cut.length,
      selected: s.selection.length,
      notices: s.notices,
    })),
  );
  const services = useServices();
  const setPanel = useAppStore((s) => s.setPanel);
  const dismiss = useAppStore((s) => s.dismissNotice);
  return (
    <footer className="status-bar">
      <button
        type="button"
        className="status-findings"
        onClick={() => setPanel('findings')}
        data-testid="status-findings"
      >
        {view.counts ? (
          <>
            <span className="severity-error">{view.counts.error} errors</span>
            <span className="severity-warning">{view.counts.warning} warnings</span>
            <span className="severity-info">{view.counts.info} notes</span>
          </>
        ) : (
          'Checking…'
        )}
      </button>
      <span className="status-check" data-testid="status-check" data-current={view.current ? 'yes' : 'no'}>
        {view.current ? `checked in ${Math.max(1, Math.round(view.durationMs ?? 0))} ms` : 'checking…'}
      </span>
      {view.arranging ? <span>Arranging…</span> : null}
      {view.whatIf ? (
        <span className="status-what-if">
          What-if: {view.failed} failed{view.cut > 0 ? `, ${view.cut} cut off from the network` : ''}
        </span>
      ) : null}
      {view.selected > 0 ? <span>{view.selected} selected</span> : null}
      <div className="notices" aria-live="polite">
        {view.notices.map((notice) => (
          <span key={notice.id} className="notice-with-action">
            <button
              type="button"
              className={`notice notice-${notice.tone}`}
              onClick={() => dismiss(notice.id)}
              title={notice.text}
              data-testid="notice"
            >
              {notice.text}
            </button>
            {notice.action ? (
              <button
                type="button"
                className="notice-action"
                data-testid="notice-action"
                onClick={() => {
                  dismiss(notice.id);
                  registry.run(notice.action!.command, services);
                }}
              >
                {notice.action.label}
              </button>
            ) : null}
          </span>
        ))}
      </div>
    </footer>
  );
}
