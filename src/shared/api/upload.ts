/**
 * Uploads: large inputs (a data file, a session archive) travel once, as bytes, and requests
 * refer to them by id. Browser mode takes them as `POST /upload?kind=K&name=N` (raw bytes, the token
 * cookie and our own Origin required); the desktop app as the `upload:put` invoke (bytes over IPC).
 * Either way the service stores them size-bounded under the data directory and answers an
 * {@link UploadInfo}; `run:start` and `theory:compute` then take `uploads: { csvText: uploadId }` in
 * place of the file's text in `config.csvText`, and `session:import` takes the `uploadId` of an archive.
 */
import { z } from 'zod';

/** The HTTP path of browser-mode uploads. */
export const UPLOAD_PATH = '/upload';

/** What can be uploaded, each with its largest accepted size in bytes. */
export const UPLOAD_LIMITS = {
  /** a data file (CSV/TSV text; UTF-16 files take two bytes a character) */
  csv: 128 * 1024 * 1024,
  /** a session archive (zip) to import */
  archive: 512 * 1024 * 1024,
} as const;

export type UploadKind = keyof typeof UPLOAD_LIMITS;
export const UPLOAD_KINDS = Object.keys(UPLOAD_LIMITS) as UploadKind[];

/** Upload ids: `up-` and 24 hex digits (96 random bits, so an id cannot be guessed). */
export const UPLOAD_ID_PATTERN = /^up-[0-9a-f]{24}$/;

/** Config text fields longer than this go as an upload from the browser client, not inline in a message. */
export const INLINE_TEXT_MAX_CHARS = 256 * 1024;

/** What the service answers to an upload. */
export interface UploadInfo {
  uploadId: string;
  kind: UploadKind;
  name: string;
  bytes: number;
}

export const uploadIdSchema = z.string().regex(UPLOAD_ID_PATTERN, 'expected an upload id (up- and 24 hex digits)');
export const uploadKindSchema = z.enum(UPLOAD_KINDS as [UploadKind, ...UploadKind[]]);
export const uploadNameSchema = z.string().min(1).max(512);

/** Config fields whose value may come from an upload (the request names the field and the upload id). */
export const dataUploadsSchema = z.object({ csvText: uploadIdSchema.optional() }).strict();
export type DataUploads = z.infer<typeof dataUploadsSchema>;
