/** `name=value` lines (blank lines ignored) <-> a label map, for the rule form and the try-it box. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf("=");
    if (at <= 0) throw new Error(`"${trimmed}": write a label as name=value`);
    labels[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return labels;
}

export function labelLines(labels: Record<string, string>): string {
  return Object.entries(labels).map(([name, value]) => `${name}=${value}`).join("\n");
}
