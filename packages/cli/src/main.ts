#!/usr/bin/env node
import { consoleOutput } from './output.js'
import { runCli } from './program.js'

process.exitCode = await runCli(process.argv.slice(2), consoleOutput)
