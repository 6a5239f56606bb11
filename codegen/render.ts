/**
 * One render pipeline for every target: a Handlebars environment with the shared helpers, and
 * write-if-different so unchanged generated files keep their timestamps (and build caches stay warm).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Handlebars from 'handlebars';
import type { RenderedFile } from './target.js';

export type TemplateEnv = typeof Handlebars;

/** A fresh Handlebars environment with the helpers every target's templates may use. */
export function createTemplateEnv(): TemplateEnv {
  const hb = Handlebars.create();
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  hb.registerHelper('gt', (a: number, b: number) => a > b);
  hb.registerHelper('and', (...xs: unknown[]) => xs.slice(0, -1).every(Boolean));
  hb.registerHelper('or', (...xs: unknown[]) => xs.slice(0, -1).some(Boolean));
  hb.registerHelper('not', (a: unknown) => !a);
  hb.registerHelper('json', (a: unknown) => JSON.stringify(a));
  return hb;
}

/** Loads every `*.hbs` of a folder as partials named by file stem. */
export function loadTemplates(hb: TemplateEnv, files: Record<string, string>): Record<string, HandlebarsTemplateDelegate> {
  const out: Record<string, HandlebarsTemplateDelegate> = {};
  for (const [name, text] of Object.entries(files)) {
    hb.registerPartial(name, text);
    out[name] = hb.compile(text, { noEscape: true, strict: true });
  }
  return out;
}

export interface WriteSummary {
  written: string[];
  unchanged: string[];
}

/** Writes files under outDir, skipping those whose content is already identical. */
export function writeIfDifferent(outDir: string, files: RenderedFile[]): WriteSummary {
  const summary: WriteSummary = { written: [], unchanged: [] };
  for (const f of files) {
    const path = join(outDir, f.path);
    if (existsSync(path) && readFileSync(path, 'utf8') === f.contents) {
      summary.unchanged.push(f.path);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.contents);
    summary.written.push(f.path);
  }
  return summary;
}
