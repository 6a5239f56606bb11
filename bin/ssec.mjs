#!/usr/bin/env node
// Launcher: runs the TypeScript CLI directly (tsx), so `npx ssec` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
