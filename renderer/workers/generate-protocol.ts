/** Messages of the generate worker: the bundle of a design, or its zip archive. */
import type { Bundle } from '../../core/generate/index';
import type { Design } from '../../core/model';

/** Generate the bundle of a design, or zip one already generated. */
export type GenerateRequest =
  | { kind: 'bundle'; revision: number; design: Design }
  | { kind: 'archive'; bundle: Bundle; folder: string }
  /** The Ansible export of a bundle (docs/ansible.md), zipped; `design` is the bundle's own. */
  | { kind: 'ansible-archive'; bundle: Bundle; design: Design; folder: string };

/** The bundle with its revision, or the zip bytes. */
export type GenerateResponse =
  | { kind: 'bundle'; revision: number; bundle: Bundle; durationMs: number }
  /** `fileCount`: how many files the Ansible export's archive holds. */
  | { kind: 'archive'; bytes: Uint8Array; fileCount?: number };
