#!/usr/bin/env node
// The package bin: the launcher transpiles src/ with esbuild when it changed, then runs the CLI as plain JavaScript.
import '../scripts/cli.mjs';
