/**
 * Loopback hosts: where plain http is tolerated for a token endpoint (RFC
 * 6749 §3.2 requires TLS; traffic that never leaves the machine has no path
 * to protect), and where no proxy can help (a proxy's loopback is its own).
 * `localhost` and its subdomains (RFC 6761 §6.3), 127.0.0.0/8 and ::1, with
 * or without the brackets of a URL host.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
