// The import specifiers of the repository's TypeScript sources, read from the text (no compiler):
// static imports and re-exports, `import type`, and dynamic `import('...')`.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

export const repoRoot = resolve(new URL('../../..', import.meta.url).pathname)

export interface ImportEdge {
  /** The importing file, relative to the repository root. */
  readonly file: string
  readonly specifier: string
  /** For a relative specifier, the imported file relative to the repository root; otherwise null. */
  readonly target: string | null
}

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.nx', 'coverage'])

/** Every .ts/.mts file under `dir` (relative to the root), skipping build output and dependencies. */
export const sourceFiles = (dir: string): string[] => {
  const out: string[] = []
  const walk = (absolute: string): void => {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(join(absolute, entry.name))
      } else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        out.push(relative(repoRoot, join(absolute, entry.name)))
      }
    }
  }
  walk(join(repoRoot, dir))
  return out.sort()
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm

/** The imports of one file; a relative `./x.js` resolves to the `./x.ts` beside it. */
export const importsOf = (file: string): ImportEdge[] => {
  const text = readFileSync(join(repoRoot, file), 'utf8')
  const edges: ImportEdge[] = []
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3]
    const target = specifier.startsWith('.') ? relative(repoRoot, resolve(repoRoot, dirname(file), specifier)).replace(/\.m?js$/, '.ts') : null
    edges.push({ file, specifier, target })
  }
  return edges
}
