// Deterministic figure formatting (no locale): the e2e test recomputes these strings.

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;

/** Bytes as "15.6 GiB" (one decimal from 1 GiB up), "512 MiB", "64 KiB" or "12 B". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return '—';
  if (bytes >= TiB) return `${(bytes / TiB).toFixed(2)} TiB`;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${Math.round(bytes / MiB)} MiB`;
  if (bytes >= KiB) return `${Math.round(bytes / KiB)} KiB`;
  return `${bytes} B`;
}

/** Whole MiB, for a precise secondary figure next to the rounded one. */
export const formatMiB = (bytes: number) => `${Math.floor(bytes / MiB)} MiB`;

export const formatLoad = (load: readonly number[] | null | undefined) =>
  load && load.length ? load.map((n) => n.toFixed(2)).join(' / ') : '—';

export const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);

/** "just now", "5 min ago", "3 h ago", else the ISO date. */
export function formatAgo(when: string | Date | null | undefined, now = Date.now()): string {
  if (!when) return 'never';
  const t = new Date(when).getTime();
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

export const formatDate = (when: string | Date | null | undefined) =>
  when ? new Date(when).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '—';
