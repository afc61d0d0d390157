/**
 * The Result envelope every API call returns, and the error codes a caller can rely on.
 * `ipcRenderer.invoke` drops custom error fields, so errors travel as data, never as thrown objects.
 */

/** Error codes shared by all adapters (IPC, WebSocket, CLI). */
export type WorkbenchErrorCode =
  | 'invalid-config'
  | 'invalid-request'
  | 'invalid-data'
  | 'not-found'
  | 'session-corrupt'
  | 'run-diverged'
  | 'too-large'
  | 'not-converged'
  | 'backend-unavailable'
  | 'cancelled'
  | 'worker-crashed'
  | 'io-error'
  | 'forbidden'
  | 'internal';

/** A failure with a stable code, a human message and optional structured details. */
export interface WorkbenchError {
  code: WorkbenchErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: WorkbenchError };

/** Wraps a value as a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps an error as a failed Result. */
export function err<T = never>(code: WorkbenchErrorCode, message: string, details?: Record<string, unknown>): Result<T> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/** An Error subclass carrying a WorkbenchError, for throwing inside services; adapters turn it into a Result. */
export class WorkbenchException extends Error {
  readonly code: WorkbenchErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: WorkbenchErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'WorkbenchException';
    this.code = code;
    this.details = details;
  }
  toError(): WorkbenchError {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** CLI exit code for an error code (0 ok, 2 bad input, 3 diverged, 4 refused as too large, 1 internal). */
export function exitCodeFor(code: WorkbenchErrorCode): number {
  switch (code) {
    case 'invalid-config':
    case 'invalid-request':
    case 'invalid-data':
    case 'not-found':
    case 'session-corrupt':
    case 'backend-unavailable':
      return 2;
    case 'run-diverged':
      return 3;
    case 'too-large':
      return 4;
    default:
      return 1;
  }
}
