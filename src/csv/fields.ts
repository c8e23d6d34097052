/** Strips one pair of matching single or double quotes around a field (BankSim quotes strings with '). */
export function unquote(field: string): string {
  const n = field.length;
  if (n >= 2) {
    const first = field.charCodeAt(0);
    if ((first === 39 || first === 34) && field.charCodeAt(n - 1) === first) return field.slice(1, n - 1);
  }
  return field;
}

/** Finds each wanted column in a header by name; names the ones that are missing. */
export function locateColumns<C extends string>(header: readonly string[], wanted: readonly C[]): Record<C, number> {
  const names = header.map((h) => unquote(h.trim()));
  const missing = wanted.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new CsvFormatError(`missing required columns: ${missing.join(", ")} (header was: ${printable(names.join(","))})`);
  }
  return Object.fromEntries(wanted.map((c) => [c, names.indexOf(c)])) as Record<C, number>;
}

/** Text safe to echo in a message or store in PostgreSQL: no control characters (NUL cannot be stored), bounded length. */
export function printable(text: string, max = 200): string {
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** The object as a whole cannot be read as the expected CSV (as opposed to one bad row). */
export class CsvFormatError extends Error {
  override name = "CsvFormatError";
}
