/**
 * Where HAProxy reads a balancer's certificate and key from.
 */
import { commentText, haproxyValue } from '../quote';
import type { BalancerService } from '../../model';

/** How the key file of a certificate is named. */
export type KeyNaming = 'inside' | 'appended' | 'replaced';

/**
 * Where HAProxy finds the certificate and key of an https listener. HAProxy 2.6 has no key path
 * on a bind line: it reads the key from the certificate file itself, or from `<cert>.key`, or
 * (with `ssl-load-extra-del-ext`) from the certificate's name with its extension replaced by
 * `.key`. A key anywhere else cannot be read, which the note says.
 */
/**
 * The files an HAProxy service serves TLS with, as paths on its host: the certificate, and its key
 * when HAProxy reads it from a file of its own (`key` unset: the key is inside the certificate
 * file). Push checks they exist (core/prerequisites.ts).
 */
export function haproxyCertificateFiles(service: BalancerService): { certificate: string; key?: string } {
  if (service.tls === undefined) return { certificate: defaultCertificatePath(service) };
  const naming = certificateOf(service).naming;
  return naming === 'inside'
    ? { certificate: service.tls.cert }
    : { certificate: service.tls.cert, key: service.tls.key };
}

function defaultCertificatePath(service: BalancerService): string {
  return `/etc/haproxy/tls/${service.id}.pem`;
}

/** The certificate a balancer's TLS listeners read, how its key is found, and why, when not by default. */
export function certificateOf(service: BalancerService): { path: string; naming: KeyNaming; note?: string } {
  if (service.tls === undefined) {
    const path = defaultCertificatePath(service);
    return {
      path: haproxyValue(path),
      naming: 'inside',
      note: `The design sets no tls: place the certificate and its key in ${commentText(path)}.`,
    };
  }
  const { cert, key } = service.tls;
  const path = haproxyValue(cert);
  if (key === `${cert}.key`) return { path, naming: 'appended' };
  const stem = cert.replace(/\.[^./]*$/, '');
  if (stem !== cert && key === `${stem}.key`) return { path, naming: 'replaced' };
  return {
    path,
    naming: 'inside',
    note:
      `HAProxy cannot read a key from ${commentText(key)}: append the key to ${commentText(cert)}, ` +
      `or move it to ${commentText(stem)}.key.`,
  };
}
