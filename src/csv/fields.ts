/** Strips one pair of matching single or double quotes around a field (BankSim quotes strings with '). */
export function unquote(field: string): string {
  return isQuoted(field, 0, field.length) ? field.slice(1, -1) : field;
}

function isQuoted(text: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  const first = text.charCodeAt(start);
  return (first === 39 || first === 34) && text.charCodeAt(end - 1) === first;
}

/**
 * The fields of a one-line record with no double quote, the ones
 * text.split(",") gives, found in place: one instance reads line after line,
 * and a reader that wants a few fields allocates those alone.
 */
export class LineFields {
  count = 0;
  private text = "";
  /** Where each field ends: at a comma, the last one at the end of the text. */
  private readonly ends: number[] = [];

  read(text: string): this {
    this.text = text;
    let n = 0;
    for (let comma = text.indexOf(","); comma !== -1; comma = text.indexOf(",", comma + 1)) this.ends[n++] = comma;
    this.ends[n] = text.length;
    this.count = n + 1;
    return this;
  }

  /** The field at index as unquote(field.trim()) gives it; throws past the last field. */
  value(index: number): string {
    if (index >= this.count) throw new RangeError(`no field ${index} in a record of ${this.count}`);
    const text = this.text;
    let start = index === 0 ? 0 : this.ends[index - 1] + 1;
    let end = this.ends[index];
    if (start === end) return "";
    if (maySpace(text.charCodeAt(start)) || maySpace(text.charCodeAt(end - 1))) return unquote(text.slice(start, end).trim());
    if (isQuoted(text, start, end)) {
      start++;
      end--;
    }
    return text.slice(start, end);
  }
}

/**
 * A control character other than tab, which an id may not hold: PostgreSQL
 * cannot store NUL, and checkpoints and partition loads pack fields with
 * \x1e / \x1f separators.
 */
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f]/;

/** Whether trim() might remove the character: only control characters, the space and non-ASCII ones can be white space. */
const maySpace = (code: number): boolean => code <= 32 || code >= 0xa0;

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
