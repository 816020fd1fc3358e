/** An OData string literal: single quotes doubled. */
export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `path?$a=...&$b=...` with each value percent-encoded (names keep their `$`). */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`);
  return parts.length ? `${path}?${parts.join("&")}` : path;
}
