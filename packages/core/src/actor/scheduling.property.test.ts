/** A property over interleavings: senders race, actors stay sequential and per-sender FIFO. */
import { fc, test } from '@fast-check/vitest'
import { expect } from 'vitest'
import type { ActorRef, ReplyTo } from './actor-ref.js'
import { quietSystem } from './test-support/fixtures.js'

type Message =
  | { readonly _tag: 'Note'; readonly sender: number; readonly seq: number }
  | { readonly _tag: 'Ask'; readonly sender: number; readonly seq: number; readonly replyTo: ReplyTo<number> }

interface Operation {
  readonly actor: number
  readonly ask: boolean
  readonly awaitReply: boolean
}

const operation = fc.record({ actor: fc.nat(2), ask: fc.boolean(), awaitReply: fc.boolean() })

test.prop([fc.scheduler(), fc.array(fc.array(operation, { maxLength: 12 }), { minLength: 1, maxLength: 4 })], { numRuns: 150 })(
  'each actor handles one message at a time, in each sender’s order',
  async (s, senders) => {
    const { system } = quietSystem()
    const seen: { sender: number; seq: number }[][] = [[], [], []]
    const active = [0, 0, 0]
    const refs: ActorRef<Message>[] = [0, 1, 2].map((index) =>
      system.spawn<Message>(`test.actor${index}`, () => ({
        async receive(message) {
          active[index]++
          expect(active[index]).toBe(1)
          // The scheduler decides when this handler resumes, against every sender and actor.
          await s.schedule(Promise.resolve(), `actor${index} handles ${message.sender}/${message.seq}`)
          seen[index].push({ sender: message.sender, seq: message.seq })
          active[index]--
          if (message._tag === 'Ask') message.replyTo.reply(message.seq)
        },
      })),
    )
    const sent: { actor: number; sender: number; seq: number }[] = []
    const run = async (sender: number, operations: readonly Operation[]) => {
      for (let seq = 0; seq < operations.length; seq++) {
        await s.schedule(Promise.resolve(), `sender${sender} sends ${seq}`)
        const { actor, ask, awaitReply } = operations[seq]
        sent.push({ actor, sender, seq })
        if (!ask) {
          refs[actor].tell({ _tag: 'Note', sender, seq })
          continue
        }
        const reply = refs[actor].ask((replyTo) => ({ _tag: 'Ask', sender, seq, replyTo }))
        if (awaitReply) expect(await reply).toBe(seq)
        else void reply.then((value) => expect(value).toBe(seq))
      }
    }
    await s.waitFor(Promise.all(senders.map((operations, sender) => run(sender, operations))))
    await s.waitIdle()
    for (let actor = 0; actor < 3; actor++) {
      for (let sender = 0; sender < senders.length; sender++) {
        const expected = sent.filter((m) => m.actor === actor && m.sender === sender).map((m) => m.seq)
        const handled = seen[actor].filter((m) => m.sender === sender).map((m) => m.seq)
        expect(handled).toEqual(expected)
      }
    }
    await system.shutdown()
  },
)
