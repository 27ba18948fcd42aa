// Client-side aggregation for the dashboard's charts: hourly buckets and the noisiest services.

export interface Bucket {
  hour: string;
  count: number;
}

/** Count items per hour over the last `hours` hours (oldest first, empty hours included). */
export function hourlyBuckets(timestamps: string[], hours: number, now: number = Date.now()): Bucket[] {
  const hourMs = 3_600_000;
  const end = Math.floor(now / hourMs) * hourMs;
  const start = end - (hours - 1) * hourMs;
  const counts = new Array<number>(hours).fill(0);
  for (const stamp of timestamps) {
    const at = new Date(stamp).getTime();
    if (Number.isNaN(at) || at < start || at >= end + hourMs) continue;
    counts[Math.floor((at - start) / hourMs)] += 1;
  }
  return counts.map((count, index) => ({
    hour: `${String(new Date(start + index * hourMs).getHours()).padStart(2, "0")}:00`, // local time
    count,
  }));
}

export function topCounts(values: string[], limit: number): { name: string; count: number }[] {
  const counts = new Map<string, number>();
  values.forEach((value) => counts.set(value, (counts.get(value) ?? 0) + 1));
  return [...counts.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
    .slice(0, limit);
}
