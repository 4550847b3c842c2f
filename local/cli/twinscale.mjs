#!/usr/bin/env node
// The `twinscale` bin: registers tsx so Node runs the TypeScript sources as they are, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
await main(process.argv.slice(2));
