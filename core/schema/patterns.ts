/**
 * Regular expressions of the design schema, kept apart so that the schema, the loader and the
 * tests share one definition. Every value that may reach a config file is limited here to
 * characters that cannot break out of a directive in any target syntax.
 */

/** Every item id: lowercase, starts with a letter, at most 63 characters. */
export const ID_PATTERN = '^[a-z][a-z0-9-]{0,62}$';

const octet = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** Dotted-quad IPv4 without leading zeros. */
export const IPV4 = `${octet}(?:\\.${octet}){3}`;

const h16 = '[0-9a-fA-F]{1,4}';
/** IPv6 in any of its RFC 4291 text forms, including an embedded IPv4 tail; no zone index. */
export const IPV6 = [
  `(?:${h16}:){7}${h16}`,
  `(?:${h16}:){1,7}:`,
  `(?:${h16}:){1,6}:${h16}`,
  `(?:${h16}:){1,5}(?::${h16}){1,2}`,
  `(?:${h16}:){1,4}(?::${h16}){1,3}`,
  `(?:${h16}:){1,3}(?::${h16}){1,4}`,
  `(?:${h16}:){1,2}(?::${h16}){1,5}`,
  `${h16}:(?::${h16}){1,6}`,
  `:(?:(?::${h16}){1,7}|:)`,
  // An IPv4 tail stands for two groups: before it, six groups, or `::` with at most five around it.
  `(?:${h16}:){6}${IPV4}`,
  `::(?:${h16}:){0,5}${IPV4}`,
  `${h16}::(?:${h16}:){0,4}${IPV4}`,
  `(?:${h16}:){1}${h16}::(?:${h16}:){0,3}${IPV4}`,
  `(?:${h16}:){2}${h16}::(?:${h16}:){0,2}${IPV4}`,
  `(?:${h16}:){3}${h16}::(?:${h16}:){0,1}${IPV4}`,
  `(?:${h16}:){4}${h16}::${IPV4}`,
]
  .map((alternative) => `(?:${alternative})`)
  .join('|');

const label = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
/** A DNS name (RFC 1123 labels); the last label is not all digits, so `10.0.0.300` is no name. */
export const DNS_NAME = `(?=.{1,253}\\.?$)(?:${label}\\.)*(?![0-9]+\\.?$)${label}\\.?`;

/** What a host address or a floating address may be. */
export const ADDRESS_PATTERN = `^(?:${IPV4}|${IPV6}|${DNS_NAME})$`;

/** An IP address only (floating addresses must be literal). */
export const IP_PATTERN = `^(?:${IPV4}|${IPV6})$`;

/** Free text on one line: no control characters (C0, DEL, C1) and no Unicode line separators. */
export const ONE_LINE_TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$';

/** Free text over several lines: tabs and newlines, no other control characters. */
export const MULTI_LINE_TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$';

/** An absolute path on a host, without `..` segments or characters that need quoting. */
export const ABSOLUTE_PATH_PATTERN = '^(?!.*(?:^|/)\\.\\.(?:/|$))/[A-Za-z0-9._@+/-]{0,254}$';

/** An HTTP request path for health checks: no spaces, quotes, braces, `;`, `$` or `#`. */
export const URL_PATH_PATTERN = '^/[A-Za-z0-9._~%/?=&+,:@-]{0,254}$';

/** A command line for systemd's ExecStart: an absolute program, printable characters only. */
export const COMMAND_PATTERN = '^/[A-Za-z0-9._@+/-]+(?: [A-Za-z0-9._@+/=:,%-]+)*$';

/** An NFS export `server:/path` or an S3 URL. */
export const STORAGE_ENDPOINT_PATTERN = `^(?:(?:${IPV4}|\\[(?:${IPV6})\\]|${DNS_NAME}):/[A-Za-z0-9._@+/-]{0,254}|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/[A-Za-z0-9._/-]{0,254})?|https://${DNS_NAME}(?::[0-9]{1,5})?(?:/[A-Za-z0-9._/-]{0,254})?)$`;

/** A server name for nginx, optionally with a leading wildcard label. */
export const SERVER_NAME_PATTERN = `^(?:\\*\\.)?${DNS_NAME}$`;

/** A POSIX user name. */
export const USER_PATTERN = '^[a-z_][a-z0-9_-]{0,31}$';

/** An OpenSSH SHA256 host-key fingerprint as `ssh-keygen -l` prints it. */
export const HOST_KEY_PATTERN = '^SHA256:[A-Za-z0-9+/]{43}$';

/** A network interface name as Linux allows it (`.` and `..` are not names). */
export const INTERFACE_PATTERN = '^(?!\\.\\.?$)[A-Za-z0-9_.:-]{1,15}$';

/** A database engine's name, e.g. `PostgreSQL` or `SQL Server`; never reaches a config. */
export const ENGINE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}$';

/** A plain token: replica-set names, Sentinel master names. */
export const TOKEN_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

/** Compiled {@link ADDRESS_PATTERN}, for code outside the schema. */
export const ADDRESS_REGEX = new RegExp(ADDRESS_PATTERN);
/** Compiled {@link ID_PATTERN}. */
export const ID_REGEX = new RegExp(ID_PATTERN);
/** Compiled {@link IP_PATTERN}. */
export const IP_REGEX = new RegExp(IP_PATTERN);
/** Compiled {@link ABSOLUTE_PATH_PATTERN}. */
export const ABSOLUTE_PATH_REGEX = new RegExp(ABSOLUTE_PATH_PATTERN);
/** Compiled {@link COMMAND_PATTERN}. */
export const COMMAND_REGEX = new RegExp(COMMAND_PATTERN);
