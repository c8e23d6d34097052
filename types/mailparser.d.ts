/** The part of mailparser's API the tests use (the package ships no types). */
declare module "mailparser" {
  import type { Readable } from "node:stream";

  export interface ParsedMail {
    subject?: string;
    text?: string;
    from?: { text: string };
    to?: { text: string } | Array<{ text: string }>;
  }

  export function simpleParser(source: Readable | Buffer | string): Promise<ParsedMail>;
}
