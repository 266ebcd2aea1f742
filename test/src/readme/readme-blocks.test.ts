import { describe, expect, it } from 'vitest'
import { codeBlocks } from './readme-blocks.js'

describe('codeBlocks', () => {
  it('finds each block with its language, line and the text block right after it as its output', () => {
    const markdown = ['# t', '', '```ts', 'console.log(1)', '```', '', '```text', '1', '```', 'prose', '```sh unordered', 'ls', '```', 'between', '```text', 'x', '```', ''].join('\n')
    expect(codeBlocks(markdown)).toEqual([
      { language: 'ts', flags: [], line: 3, code: 'console.log(1)\n', expectedOutput: { text: '1\n', unordered: false } },
      { language: 'sh', flags: ['unordered'], line: 11, code: 'ls\n', expectedOutput: undefined },
    ])
  })

  it('reads a text block marked unordered as output whose lines may come in any order', () => {
    const markdown = ['```sh', 'x', '```', '```text unordered', 'b', 'a', '```'].join('\n')
    expect(codeBlocks(markdown)[0]!.expectedOutput).toEqual({ text: 'b\na\n', unordered: true })
  })

  it('refuses a block that is never closed, naming its line', () => {
    expect(() => codeBlocks('a\n```ts\nx\n')).toThrow(/line 2 is never closed/)
  })
})
