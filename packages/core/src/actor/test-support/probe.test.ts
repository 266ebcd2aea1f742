import { describe, expect, it } from 'vitest'
import type { ReplyTo } from '../actor-ref.js'
import { AskTimeoutError } from '../errors.js'
import { replyProbe, TestProbe } from './probe.js'

type Message = { readonly _tag: 'Ping'; readonly n: number } | { readonly _tag: 'Ask'; readonly replyTo: ReplyTo<string> }

describe('TestProbe', () => {
  it('records tells in order and lets the test answer asks', async () => {
    const probe = new TestProbe<Message>('test.probe-a')
    probe.ref.tell({ _tag: 'Ping', n: 1 })
    const answer = probe.ref.ask((replyTo) => ({ _tag: 'Ask', replyTo }))
    expect(await probe.expectMessageOfTag('Ping')).toEqual({ _tag: 'Ping', n: 1 })
    const request = await probe.expectMessageOfTag('Ask')
    request.replyTo.reply('pong')
    expect(await answer).toBe('pong')
    await probe.expectNoMessage(5)
    expect(probe.received).toHaveLength(2)
  })

  it('waits for a message that has not arrived yet, and fails on the wrong one or none', async () => {
    const probe = new TestProbe<Message>()
    const next = probe.expectMessage()
    setTimeout(() => probe.ref.tell({ _tag: 'Ping', n: 2 }), 1)
    expect(await next).toEqual({ _tag: 'Ping', n: 2 })
    probe.ref.tell({ _tag: 'Ping', n: 3 })
    await expect(probe.expectMessageOfTag('Ask')).rejects.toThrow('expected message Ask at')
    await expect(probe.expectMessage(5)).rejects.toThrow('within 5 ms')
    probe.ref.tell({ _tag: 'Ping', n: 4 })
    await expect(probe.expectNoMessage(5)).rejects.toThrow('expected no message')
  })

  it('times out an ask nobody answers', async () => {
    const probe = new TestProbe<Message>('test.probe-b')
    const answer = probe.ref.ask((replyTo) => ({ _tag: 'Ask', replyTo }), { timeoutMs: 5 })
    await expect(answer).rejects.toBeInstanceOf(AskTimeoutError)
  })
})

describe('ReplyProbe', () => {
  it('records the first reply or failure', async () => {
    const ok = replyProbe<number>()
    ok.reply(7)
    expect(await ok.expectReply()).toBe(7)
    const failed = replyProbe<number>()
    failed.fail(new Error('nope'))
    expect((await failed.expectFailure()).message).toBe('nope')
    const pending = replyProbe<number>()
    await expect(pending.expectReply(5)).rejects.toThrow('expected a reply within 5 ms')
  })
})
