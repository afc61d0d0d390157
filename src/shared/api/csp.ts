/** The Content Security Policies of the two page shells (the renderer is the same page in both). */

/** Browser mode: the page talks to its own server over a WebSocket on the loopback interface. */
export const BROWSER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The desktop app's CSP: the same as browser mode's but without WebSocket sources, since the desktop
 * renderer talks over IPC only and has no reason to open a socket anywhere.
 */
export const DESKTOP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
