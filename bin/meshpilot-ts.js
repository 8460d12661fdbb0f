#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx (a dev dependency): what the tests spawn, so they need
// no build. bin/meshpilot.js runs the compiled build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv);
