/** The body of the import dialog: what could not be read, what was not used, what is missing. */
import { Fragment } from 'react';
import type { ImportProblem, MissingItem, UnusedItem } from '../../core/import/build-design';

/** A path or a target that may break after each `/` (and nowhere else unless it must). */
function BreakablePath({ text }: { text: string }) {
  const parts = text.split('/');
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 ? (
            <>
              /<wbr />
            </>
          ) : null}
        </Fragment>
      ))}
    </>
  );
}

/** Problems, then the unused list (host, file, line, text, reason), then the missing list. */
export function ImportReport(props: {
  problems: ImportProblem[];
  unused: UnusedItem[];
  missing: MissingItem[];
}) {
  const { problems, unused, missing } = props;
  return (
    <>
      {problems.length > 0 && (
        <>
          <p>
            {problems.length} thing{problems.length === 1 ? '' : 's'} could not be read (a file, or a host
            that was not reached); the design holds what the rest gave:
          </p>
          <table className="problems-table import-table" data-testid="import-problems">
            <colgroup>
              <col className="import-column-where" />
              <col />
            </colgroup>
            <tbody>
              {problems.map((problem, index) => (
                <tr key={index}>
                  <td className="mono">
                    <BreakablePath text={problem.file} />
                    {problem.line === undefined ? '' : `:${problem.line}`}
                  </td>
                  <td>{problem.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p>Not in any config, so not guessed ({missing.length}):</p>
      <ul data-testid="import-missing">
        {missing.map((item, index) => (
          <li key={index}>
            <strong>{item.what}</strong>: {item.reason}
          </li>
        ))}
      </ul>
      <p>Not used ({unused.length}):</p>
      <table className="problems-table import-table" data-testid="import-unused">
        <colgroup>
          <col className="import-column-host" />
          <col className="import-column-file" />
          <col className="import-column-text" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th>Host</th>
            <th>File and line</th>
            <th>Text</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {unused.map((item, index) => (
            <tr key={index}>
              <td className="mono">{item.host ?? ''}</td>
              <td className="mono">
                <BreakablePath text={item.file} />
                {item.line === undefined ? '' : `:${item.line}`}
              </td>
              <td className="mono">{item.text}</td>
              <td>{item.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
