/**
 * WGSL rendering: every kernel of a WgslProgram through its Handlebars template (config from the
 * typed emitters in emit.ts, variant hooks as named partials), and the list of files of a build:
 * `<stage>_<impl>_<hash12>.wgsl` per kernel identity, the generated TypeScript module and
 * `manifest.json`.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelSpec } from '../../dsl/kernel-spec.js';
import type { KernelPlan } from '../../codegen/plan.js';
import { createTemplateEnv, loadTemplates, type TemplateEnv } from '../../codegen/render.js';
import { CHUNK_TEMPLATES, emitLoaders, emitPrelude } from './emit.js';
import { buildProgram, checkSupported, ioVariants, type KernelDef, type WgslProgram } from './program.js';

const TEMPLATE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'templates');

interface TemplateSet {
  env: TemplateEnv;
  templates: Record<string, HandlebarsTemplateDelegate>;
  /** Per template: hash of its text and every partial (part of each kernel identity). */
  hashes: Record<string, string>;
}

let cached: TemplateSet | null = null;

function readDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.wgsl.hbs')) out[f.slice(0, -'.wgsl.hbs'.length)] = readFileSync(join(dir, f), 'utf8');
  return out;
}

export function templateSet(): TemplateSet {
  if (cached) return cached;
  const env = createTemplateEnv();
  env.registerHelper('hook', (a: string, b: string) => `${a}_${b}`);
  // {{#unroll n}} … {{m}} … {{/unroll}}: the block n times with m = 0 … n − 1 (register tiles with
  // constant indices: private arrays indexed in loops end up in memory on some compilers).
  env.registerHelper('unroll', function (this: unknown, n: number, options: Handlebars.HelperOptions) {
    let out = '';
    for (let m = 0; m < n; m++) out += options.fn({ ...(this as object), m });
    return out;
  });
  const partialText = readDir(join(TEMPLATE_DIR, 'partials'));
  loadTemplates(env, partialText);
  const mainText = readDir(TEMPLATE_DIR);
  const templates: Record<string, HandlebarsTemplateDelegate> = {};
  for (const [name, text] of Object.entries(mainText)) templates[name] = env.compile(text, { noEscape: true, strict: true });
  const partialHash = createHash('sha256').update(Object.entries(partialText).map(([k, v]) => `${k}\n${v}`).join('\n')).digest('hex');
  const hashes: Record<string, string> = {};
  for (const [name, text] of Object.entries(mainText)) hashes[name] = createHash('sha256').update(text).update(partialHash).digest('hex').slice(0, 16);
  cached = { env, templates, hashes };
  return cached;
}

/** WGSL source of one kernel of a program. */
export function renderKernel(program: WgslProgram, k: KernelDef): string {
  const ts = templateSet();
  const tpl = ts.templates[k.template];
  if (!tpl) throw new Error(`no template ${k.template}.wgsl.hbs for kernel ${k.id}`);
  const ctx = { kernel: k, buffers: program.buffers, uniforms: program.uniforms };
  const bound = new Set(k.bindings.map((b) => b.buffer));
  const has: Record<string, boolean> = {};
  for (const b of program.buffers) has[b.name] = bound.has(b.name);
  const text = tpl({
    prelude: emitPrelude(ctx),
    loaders: CHUNK_TEMPLATES.has(k.template) ? emitLoaders(ctx) : '',
    gate: k.params.gate,
    impl: k.params.impl,
    direction: k.stage === 'bwd_dh' ? 'backward' : 'forward',
    has,
    tile: registerTile(k),
  });
  return text.replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/**
 * Register tiles, unrolled in the templates ({{#unroll}}): state_pass, fwd_o, bwd_dv: NR4 groups of 4
 * consecutive rows × one vec4 of columns (BV / 4 column groups per row); bwd_dov: NA entries of the
 * BT × BT block (column fixed per invocation); fwd_attn: ND diagonal-block entries and NU
 * off-diagonal ATTN_BC × ATTN_BC tiles; bwd_dqk: QR items (row, 4 channels); state_pass also SPO
 * operand and SPV value vec4 of the next sub-block, fwd_attn NQK q̃ / k̃ vec4 of the next K
 * slice, fwd_o / bwd_dv (bwd_hdo) PX row-operand and PY state vec4 of the next K (V) slice, held in
 * registers per invocation.
 */
export const ATTN_BC = 4;
function registerTile(k: KernelDef): { NR4: number; NA: number; ND: number; NU: number; QR: number; SPO: number; SPV: number; NQK: number; PX: number; PY: number } {
  const p = k.params;
  const TX = (k.template === 'bwd_hdo' ? p.BK : p.BV) / 4;
  const TY = p.WG / TX;
  const rows = k.template === 'state_pass' ? p.BK : p.BT;
  const NB = p.BT / ATTN_BC;
  const slice = k.template === 'bwd_hdo' ? p.VS : p.KS; // the walked slice of fwd_o / bwd_dv (K) and bwd_hdo (V)
  return {
    NR4: Math.ceil(rows / 4 / TY),
    NA: (p.BT * p.BT) / p.WG,
    ND: Math.ceil((p.BT * ATTN_BC) / p.WG),
    NU: Math.max(1, Math.ceil((NB * (NB - 1)) / 2 / p.WG)),
    QR: Math.ceil((p.BT * p.KQ) / 4 / p.WG),
    SPO: Math.ceil((p.SB * (p.BK / 4)) / p.WG),
    SPV: Math.ceil((p.SB * (p.BV / 4)) / p.WG),
    NQK: Math.ceil((p.BT * (p.KS / 4)) / p.WG),
    PX: Math.ceil((slice * (p.BT / 4)) / p.WG),
    PY: Math.ceil((slice * TX) / p.WG),
  };
}

export interface RenderedProgram {
  program: WgslProgram;
  sources: Record<string, string>;
}

const programCache = new Map<string, RenderedProgram[]>();

/** Every (impl, io variant) program of a plan with its kernel sources; cached by plan identity. */
export function renderPrograms(spec: KernelSpec, plan: KernelPlan): RenderedProgram[] {
  checkSupported(spec);
  const ts = templateSet();
  const key = `${plan.specHash}:${JSON.stringify(plan.config)}:${Object.values(ts.hashes).join(',')}`;
  const hit = programCache.get(key);
  if (hit) return hit;
  const out: RenderedProgram[] = [];
  for (const ip of plan.impls) {
    for (const io of ioVariants(spec)) {
      const program = buildProgram(spec, plan, ip, io, ts.hashes);
      const sources: Record<string, string> = {};
      for (const k of program.kernels) sources[k.id] = renderKernel(program, k);
      out.push({ program, sources });
    }
  }
  programCache.set(key, out);
  return out;
}
