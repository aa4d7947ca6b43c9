#!/usr/bin/env node
// The `llmeter` command. A committed file rather than the build output itself, so that `npm ci` can link the
// bin before anything is built.
import '../dist/cli.js';
