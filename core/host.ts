/**
 * The one contract between the designer (renderer/) and the platform it runs on: files, exports
 * and push. The desktop shell implements it in the main process and exposes it through
 * the preload (one function per member, ending in `satisfies TopoforgeHost`); the browser
 * implementation in renderer/ lets the same app run and be tested in a plain browser.
 *
 * Every member is asynchronous and returns plain data, so that it crosses an IPC boundary
 * unchanged. `undefined` means the person cancelled (closed a file dialog); failures reject.
 */
import type { CollectEvent, CollectReport, CollectRequest } from './collect';
import type { Bundle } from './generate/index';
import type { Design } from './model';
import type { PushEvent, PushReport } from './push';
import type { RehearsalOutcome, RehearsalStreamEvent, RehearsalSupport, RehearseRequest } from './rehearse';

/** Where a design file lives: a path on the desktop, an opaque key in the browser. */
export type DesignLocation = string;

/** A design file the person picked, as text: the renderer parses it with `parseDesign`. */
export interface OpenedDesign {
  /** File name shown in the title, e.g. `tealeaf.topo.json`. */
  fileName: string;
  text: string;
  /** Where it came from, for Save; absent when it cannot be written back (browser uploads). */
  location?: DesignLocation;
}

/** A design to write: the text is the whole `*.topo.json` file, layout included. */
export interface SaveDesignRequest {
  fileName: string;
  text: string;
  /** Write back here without asking; absent asks where (Save As). */
  location?: DesignLocation;
}

/** Where a design was written. */
export interface SavedDesign {
  fileName: string;
  location?: DesignLocation;
}

/** A design opened before, newest first in {@link TopoforgeHost.recentDesigns}. */
export interface RecentDesign {
  fileName: string;
  /** How to open it again. */
  location: DesignLocation;
  /** ISO 8601 time it was last opened or saved. */
  usedAt: string;
}

/** A generated bundle to export: a folder on the desktop, a zip download in the browser. */
export interface BundleExportRequest {
  /** Suggested folder or archive name without extension, e.g. `tealeaf-bundle`. */
  name: string;
  bundle: Bundle;
  /**
   * The whole `*.topo.json` text the bundle was generated from. The desktop needs it: its main
   * process generates the bundle again from the design and writes that one, so the commands a
   * later push runs as root never come from the page. The browser ignores it.
   */
  designText?: string;
  /** `bundle` when absent. */
  format?: BundleExportFormat;
  /** The design the bundle was generated from; the browser's Ansible export needs it. */
  design?: Design;
}

/** What an export wrote. */
export interface ExportResult {
  /** Folder or file name as the person would find it. */
  location: string;
  fileCount: number;
}

/** A picture of the diagram. */
export interface ImageExportRequest {
  /** File name with extension, e.g. `tealeaf.png`. */
  fileName: string;
  format: 'png' | 'svg';
  /** A `data:` URL of the picture: `image/svg+xml` or `image/png` (renderer/canvas/export.ts). */
  dataUrl: string;
}

/** The open document as the desktop shell needs it: window title, unsaved-changes prompt, recovery. */
export interface DocumentState {
  fileName: string;
  /** Where Save writes; absent for a new design. */
  location?: DesignLocation;
  /** True while the design has changes that are not saved. */
  dirty: boolean;
}

/** An unsaved design, kept so that it survives a crash and is offered again on the next start. */
export interface RecoveryCopy {
  fileName: string;
  location?: DesignLocation;
  /** The whole `*.topo.json` text, as Save would write it. */
  text: string;
}

/** What a native menu item asks the designer to do (the designer's own shortcuts do the same). */
export type MenuCommand =
  | 'new'
  | 'open'
  | 'import-folder'
  | 'import-hosts'
  | 'save'
  | 'save-as'
  | 'export-bundle'
  | 'export-ansible'
  | 'push'
  | 'undo'
  | 'redo';

/** What an export writes: the bundle itself, or its Ansible inventory and playbook (docs/ansible.md). */
export type BundleExportFormat = 'bundle' | 'ansible';

/**
 * What the desktop shell asks of the designer: a menu command, a file to show (opened from the
 * operating system, the command line, a native Open Recent item, or a recovered copy), or a fresh
 * recovery copy (answered with {@link TopoforgeHost.writeRecoveryCopy}).
 *
 * The shell has already asked about unsaved changes before it sends `new`, `open` or
 * `open-design`: the designer goes ahead without asking again.
 */
export type HostCommand =
  | { type: MenuCommand }
  | { type: 'write-recovery-copy' }
  | {
      type: 'open-design';
      design: OpenedDesign;
      /** True for a recovered copy: show it as changed (unsaved), not as the file on disk. */
      recovered: boolean;
    };

/** The name under which the desktop preload exposes its {@link TopoforgeHost} on `window`. */
export const DESKTOP_HOST_GLOBAL = 'topoforgeHost';

/** A host key the person confirmed in the push dialog: this fingerprint, for this host only. */
export interface ConfirmedHostKey {
  /** The host id of the design. */
  host: string;
  /** `SHA256:` and 43 base64 characters, as OpenSSH prints it. */
  fingerprint: string;
}

/**
 * A push (or its plan) of the open design. It carries the design, never a bundle: the desktop's
 * main process generates the bundle from it, as for an export, so the commands a push runs as
 * root never come from the page.
 */
export interface PushRequest {
  /** The whole `*.topo.json` text. */
  designText: string;
  /** Push only these host ids; absent or empty pushes every host of the bundle. */
  hosts?: string[];
  /**
   * Unknown host keys the person trusts. A server whose key is unknown is refused unless its
   * host and fingerprint are listed here; a changed key is refused whatever is listed.
   */
  confirmedHostKeys?: ConfirmedHostKey[];
  /**
   * Create each missing certificate and key pair self-signed on its host (`push --lab-certs`):
   * create-only, fit for a lab only. A plan only says which it would create.
   */
  labCertificates?: boolean;
}

/** Which platform the renderer runs on; the app words a few labels differently per platform. */
export type HostPlatform = 'browser' | 'desktop';

/**
 * What the renderer may ask of its platform. Nothing else reaches files, dialogs or the network.
 * Push (docs/push.md) is desktop only: the browser implementation has no push members.
 */
export interface TopoforgeHost {
  readonly platform: HostPlatform;
  /** Asks for a `*.topo.json` file and returns its text. */
  openDesign(): Promise<OpenedDesign | undefined>;
  /** Opens a file from {@link recentDesigns} again; undefined when it is gone. */
  openRecentDesign(recent: RecentDesign): Promise<OpenedDesign | undefined>;
  /** Designs opened or saved before, newest first. */
  recentDesigns(): Promise<RecentDesign[]>;
  /** Writes to `request.location`, or asks where when it has none. */
  saveDesign(request: SaveDesignRequest): Promise<SavedDesign | undefined>;
  /** Always asks where to write. */
  saveDesignAs(request: SaveDesignRequest): Promise<SavedDesign | undefined>;
  /** Writes a bundle (docs/bundle.md layout). */
  exportBundle(request: BundleExportRequest): Promise<ExportResult | undefined>;
  /** Writes a picture of the diagram. */
  exportImage(request: ImageExportRequest): Promise<ExportResult | undefined>;
  /**
   * Desktop only: delivers native menu commands and files to open. Commands that arrive before
   * the first listener are kept for it. Returns a function that stops listening.
   */
  onCommand?(listener: (command: HostCommand) => void): () => void;
  /**
   * Desktop only: tells the shell the document's name, location and whether it has unsaved
   * changes, on every change of those. The shell titles the window with it, asks before a close
   * or quit loses changes, and keeps a recovery copy while the design is dirty.
   */
  reportDocumentState?(state: DocumentState): Promise<void>;
  /**
   * Desktop only: stores an unsaved copy under the user's data folder, the answer to a
   * `write-recovery-copy` command. It is removed after the next successful save.
   */
  writeRecoveryCopy?(copy: RecoveryCopy): Promise<void>;
  /**
   * Desktop only: a dry run of the push. Per host: the host key's state (trusted, or refused as
   * unknown with its fingerprint, changed, …) and, where it connected, each file's action with a
   * unified diff. Nothing changes anywhere, known_hosts included. Rejects with a sentence when
   * the design has error findings, does not generate, or another push of this window runs.
   */
  planPush?(request: PushRequest): Promise<PushReport>;
  /**
   * Desktop only: pushes the design's bundle to its hosts, recording the confirmed host keys in
   * known_hosts; resolves with the report once every host has finished. Rejects as
   * {@link planPush} does.
   */
  push?(request: PushRequest): Promise<PushReport>;
  /**
   * Desktop only: cancels this window's running plan or push. Hosts not started are not pushed,
   * and every host being pushed ends with its old files; the plan's or push's own promise then
   * resolves with the report. Does nothing when nothing runs.
   */
  cancelPush?(): Promise<void>;
  /**
   * Desktop only: progress of this window's plan or push, host by host. Returns a function that
   * stops listening.
   */
  onPushEvent?(listener: (event: PushEvent) => void): () => void;
  /**
   * Desktop only (File › Import from hosts, docs/import.md): reads the configs of the request's
   * hosts over SSH as `topoforge collect` does, with push's host-key policy; resolves with each
   * host's outcome and the collected folder's files, for the same import as a folder. Rejects
   * with a sentence for a target that is not `user@address[:port]`, no key to log in with, or
   * another collection of this window running.
   */
  collectConfigs?(request: CollectRequest): Promise<CollectReport>;
  /**
   * Desktop only: cancels this window's running collection. It disconnects at once and keeps
   * nothing: its promise resolves with `cancelled` and no files. Does nothing when nothing runs.
   */
  cancelCollect?(): Promise<void>;
  /** Desktop only: progress of this window's collection, host by host. Returns a function that stops listening. */
  onCollectEvent?(listener: (event: CollectEvent) => void): () => void;
  /**
   * Desktop only (the Rehearse view, docs/rehearse.md): whether this machine can run a lab, with
   * the one-line reason `topoforge rehearse` gives when it cannot (no root, not Linux, no `ip`).
   */
  rehearsalSupport?(): Promise<RehearsalSupport>;
  /**
   * Desktop only: rehearses the design in a lab as `topoforge rehearse` does, streaming its events
   * to {@link onRehearsalEvent}; resolves with every verdict, or `cancelled` after
   * {@link cancelRehearsal} once the lab is removed. Rejects with a sentence for a design that
   * does not load, a machine without a lab, or a rehearsal already running.
   */
  rehearse?(request: RehearseRequest): Promise<RehearsalOutcome>;
  /** Desktop only: cancels this window's rehearsal; its lab is removed. Does nothing when none runs. */
  cancelRehearsal?(): Promise<void>;
  /** Desktop only: progress of this window's rehearsal. Returns a function that stops listening. */
  onRehearsalEvent?(listener: (event: RehearsalStreamEvent) => void): () => void;
}
