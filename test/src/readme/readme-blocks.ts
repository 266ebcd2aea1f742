// The fenced code blocks of a Markdown file, in order, with what the README test needs to run
// them: the language, the line the block starts on (for failure messages) and, when a `text`
// block follows with nothing but blank lines between, that block as the expected output.
export interface CodeBlock {
  readonly language: string
  /** The words after the language on the fence line (`text unordered` gives ['unordered']). */
  readonly flags: readonly string[]
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly code: string
  readonly expectedOutput: ExpectedOutput | undefined
}

export interface ExpectedOutput {
  readonly text: string
  /** The program prints these lines in an order that may vary (records of several partitions). */
  readonly unordered: boolean
}

interface RawBlock {
  readonly language: string
  readonly flags: readonly string[]
  readonly line: number
  readonly endLine: number
  readonly code: string
}

const fence = /^```(.*)$/

const rawBlocks = (markdown: string): RawBlock[] => {
  const lines = markdown.split('\n')
  const blocks: RawBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!)
    if (open === null) continue
    const [language = '', ...flags] = open[1]!.trim().split(/\s+/)
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!)
    if (i === lines.length) throw new Error(`README: the code block opened on line ${start + 1} is never closed`)
    blocks.push({ language, flags, line: start + 1, endLine: i + 1, code: body.join('\n') + '\n' })
  }
  return blocks
}

/** Code blocks; `text` blocks are not returned on their own but as the output of the block before. */
export const codeBlocks = (markdown: string): CodeBlock[] => {
  const lines = markdown.split('\n')
  const raw = rawBlocks(markdown)
  const result: CodeBlock[] = []
  for (let i = 0; i < raw.length; i++) {
    const block = raw[i]!
    if (block.language === 'text') continue
    const next = raw[i + 1]
    const between = next === undefined ? [] : lines.slice(block.endLine, next.line - 1)
    const adjacentOutput = next?.language === 'text' && between.every((line) => line.trim() === '')
    const expectedOutput = adjacentOutput ? { text: next.code, unordered: next.flags.includes('unordered') } : undefined
    result.push({ language: block.language, flags: block.flags, line: block.line, code: block.code, expectedOutput })
  }
  return result
}
