/**
 * The prompt before unsaved work is lost. The page reports its document's state (name, location,
 * dirty); before a window closes, the app quits, File › New or Open runs, or main replaces the
 * document with a file the operating system asked to open, the guard asks Save / Don't Save / Cancel. Save asks the page to
 * save (it holds the design) and waits for that save to finish in main, so the window closes only
 * once the file is on disk.
 */
import type { DocumentState, MenuCommand } from '../../core/host';

/** The person's answer. */
export type DiscardAnswer = 'save' | 'discard' | 'cancel';

/** What the guard needs from its window. */
export interface DocumentGuardOptions {
  /** Asks the person (a native message box in the app). */
  ask(state: DocumentState, action: string): Promise<DiscardAnswer>;
  /** Asks the page to save (it sends the design over the save channel). */
  requestSave(): void;
  /** How long a requested save may take to start before the guard gives up; default 15 s. */
  saveStartTimeoutMs?: number;
  setTimeout?: (callback: () => void, milliseconds: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/**
 * What a menu command would do to unsaved work, as the prompt words it, or undefined for a command
 * that keeps the design. New and Open reach the designer only after the person answered.
 */
export function discardingAction(command: MenuCommand): string | undefined {
  if (command === 'new') return 'starting a new design';
  if (command === 'open') return 'opening another design';
  return undefined;
}

/** The window title for a document: `● name — Topoforge` while dirty. */
export function windowTitle(state: DocumentState): string {
  return `${state.dirty ? '● ' : ''}${state.fileName} — Topoforge`;
}

/** One window's document and its unsaved-changes prompt. */
export class DocumentGuard {
  private current: DocumentState = { fileName: 'untitled.topo.json', dirty: false };
  private prompt: Promise<boolean> | undefined;
  private waiting: { resolve: (saved: boolean) => void; timer: unknown } | undefined;
  private readonly setTimer: (callback: () => void, milliseconds: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: DocumentGuardOptions) {
    this.setTimer = options.setTimeout ?? ((callback, milliseconds) => setTimeout(callback, milliseconds));
    this.clearTimer =
      options.clearTimeout ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** The last state the page reported. */
  get state(): DocumentState {
    return { ...this.current };
  }

  /** Records what the page reported. */
  update(state: DocumentState): void {
    this.current = { ...state };
  }

  /** A save over the save channel began (from a menu, a shortcut, or {@link confirmDiscard}). */
  saveStarted(): void {
    if (this.waiting === undefined || this.waiting.timer === undefined) return;
    this.clearTimer(this.waiting.timer);
    this.waiting.timer = undefined;
  }

  /** A save ended: written (`saved`), cancelled in its dialog, or failed. */
  saveFinished(saved: boolean): void {
    if (saved) this.current = { ...this.current, dirty: false };
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting === undefined) return;
    if (waiting.timer !== undefined) this.clearTimer(waiting.timer);
    waiting.resolve(saved);
  }

  /**
   * Resolves true when the document may be closed or replaced: it has no unsaved changes, the
   * person chose Don't Save, or chose Save and the save succeeded. `action` completes the
   * question, e.g. "closing" or "opening tealeaf.topo.json". A second call while the question is
   * open shares its answer.
   */
  confirmDiscard(action: string): Promise<boolean> {
    if (!this.current.dirty) return Promise.resolve(true);
    this.prompt ??= this.askAndAct(action).finally(() => {
      this.prompt = undefined;
    });
    return this.prompt;
  }

  private async askAndAct(action: string): Promise<boolean> {
    const answer = await this.options.ask(this.state, action);
    if (answer === 'discard') return true;
    if (answer === 'cancel') return false;
    const saved = new Promise<boolean>((resolve) => {
      const timer = this.setTimer(() => this.saveFinished(false), this.options.saveStartTimeoutMs ?? 15_000);
      this.waiting = { resolve, timer };
    });
    this.options.requestSave();
    return saved;
  }
}
