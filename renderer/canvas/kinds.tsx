/**
 * How each kind of item looks and is called: the names an architect uses ("health-based router",
 * not `router`), a colour and an icon. One table, used by the palette, the nodes and the panels.
 */
import {
  AppWindow,
  Boxes,
  Building2,
  ChartColumn,
  Cloud,
  Cpu,
  Crosshair,
  Database,
  Eye,
  Globe,
  HardDrive,
  Layers,
  Leaf,
  Radar,
  Route,
  Scale,
  Server,
  ShieldCheck,
  Split,
  Vote,
} from 'lucide-react';
import type { LucideIcon } from 'lucide-react';
import type { EntrypointVia, GroupKind, ServiceKind } from '../../core/model';

/** Display facts of one kind. */
export interface KindInfo {
  /** What an architect calls it, e.g. "Health-based router". */
  name: string;
  /** One line for the palette's tooltip. */
  hint: string;
  /** CSS colour of its icon tile. */
  color: string;
  Icon: LucideIcon | typeof NginxMark;
}

/** The nginx mark: an N in a hexagon, drawn like a lucide icon so it sizes the same. */
export function NginxMark({ size = 24, strokeWidth = 2 }: { size?: number; strokeWidth?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={strokeWidth}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d="M12 2 21 7v10l-9 5-9-5V7z" />
      <path d="M9 16V8l6 8V8" />
    </svg>
  );
}

/** Every service kind, in palette order (core/model.ts SERVICE_KINDS). */
export const SERVICE_KIND_INFO: Readonly<Record<ServiceKind, KindInfo>> = {
  nginx: {
    name: 'nginx',
    hint: 'Reverse proxy, gateway, L7/L4 load balancer',
    color: '#1f9a4b',
    Icon: NginxMark,
  },
  haproxy: { name: 'HAProxy', hint: 'Load balancer', color: '#1d6fb8', Icon: Split },
  app: { name: 'App server', hint: 'Generic application server', color: '#5b5bd6', Icon: AppWindow },
  capture: { name: 'Capture server', hint: 'Passive capture server (PCA)', color: '#0e8f8f', Icon: Radar },
  router: {
    name: 'Health-based router',
    hint: 'Routes to healthy processing (HBR)',
    color: '#d9730d',
    Icon: Route,
  },
  processing: {
    name: 'Processing node',
    hint: 'Processing server; pools give N+1',
    color: '#8e4ec6',
    Icon: Cpu,
  },
  reporting: {
    name: 'Reporting server',
    hint: 'Portal / data service; one active',
    color: '#b7791f',
    Icon: ChartColumn,
  },
  mongodb: { name: 'MongoDB', hint: 'mongod, data-bearing replica-set member', color: '#13aa52', Icon: Leaf },
  arbiter: { name: 'Arbiter', hint: 'Vote-only member or quorum witness', color: '#64748b', Icon: Scale },
  redis: { name: 'Redis', hint: 'Redis server in a Sentinel group', color: '#d82c20', Icon: Layers },
  sentinel: { name: 'Sentinel', hint: 'Redis Sentinel, votes on failover', color: '#a1251b', Icon: Eye },
  storage: { name: 'Storage', hint: 'Shared storage: NFS or S3', color: '#8a6a4f', Icon: HardDrive },
  database: { name: 'Database', hint: 'SQL database (external or HA)', color: '#2f6db5', Icon: Database },
};

/** Every group kind. */
export const GROUP_KIND_INFO: Readonly<Record<GroupKind, KindInfo>> = {
  'mongodb-replica-set': {
    name: 'Replica set',
    hint: 'MongoDB replica set: mongod and arbiters',
    color: '#13aa52',
    Icon: Boxes,
  },
  'redis-sentinel': {
    name: 'Sentinel group',
    hint: 'Redis servers and their sentinels',
    color: '#d82c20',
    Icon: ShieldCheck,
  },
  quorum: { name: 'Quorum', hint: 'A 2n+1 cluster: every member votes', color: '#5b5bd6', Icon: Vote },
  pool: { name: 'Pool', hint: 'Interchangeable workers; N+1 capacity', color: '#8e4ec6', Icon: Boxes },
};

/** Every way clients reach an entrypoint. */
export const ENTRYPOINT_VIA_INFO: Readonly<Record<EntrypointVia, KindInfo>> = {
  direct: {
    name: 'Entrypoint (direct)',
    hint: 'Clients know the targets, e.g. DNS records',
    color: '#0b7285',
    Icon: Globe,
  },
  vip: {
    name: 'Entrypoint (VIP)',
    hint: 'A floating address held by keepalived',
    color: '#0b7285',
    Icon: Crosshair,
  },
  'external-lb': {
    name: 'Entrypoint (external LB)',
    hint: 'A load balancer outside the design',
    color: '#0b7285',
    Icon: Cloud,
  },
};

/** Containers. */
export const CONTAINER_INFO = {
  host: { name: 'Host', hint: 'A machine or VM; drop services into it', color: '#475569', Icon: Server },
  site: { name: 'Site', hint: 'A failure domain: data centre, zone', color: '#64748b', Icon: Building2 },
} as const satisfies Record<string, KindInfo>;

/** The coloured tile with a kind's icon. */
export function KindTile({ info, size = 28 }: { info: KindInfo; size?: number }) {
  const { Icon } = info;
  return (
    <span
      className="kind-tile"
      style={{ background: info.color, width: size, height: size }}
      aria-hidden="true"
    >
      <Icon size={Math.round(size * 0.62)} strokeWidth={2.2} />
    </span>
  );
}
