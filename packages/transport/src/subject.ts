/** NATS subject rules: validation and wildcard matching, shared by every transport. */
import { InvalidSubjectError } from './errors.js'

const TOKEN = /^[^\s.*>]+$/

/** A subject to publish on: tokens without wildcards or whitespace. */
export const validatePublishSubject = (subject: string): void => {
  const tokens = subject.split('.')
  const bad = tokens.findIndex((token) => !TOKEN.test(token))
  if (subject.length === 0 || bad !== -1) {
    throw new InvalidSubjectError({ subject, reason: `token ${bad + 1} ("${tokens[bad] ?? ''}") is empty or holds a wildcard or whitespace` })
  }
}

/** A subject to subscribe to: tokens, `*` for any one token, `>` as the last token for the rest. */
export const validateSubscribeSubject = (subject: string): void => {
  const tokens = subject.split('.')
  tokens.forEach((token, i) => {
    const wildcard = token === '*' || (token === '>' && i === tokens.length - 1)
    if (!wildcard && !TOKEN.test(token)) {
      throw new InvalidSubjectError({ subject, reason: `token ${i + 1} ("${token}") is not a name, '*' or a final '>'` })
    }
  })
}

/** Whether a concrete subject matches a (possibly wildcard) subscription subject. */
export const subjectMatches = (pattern: string, subject: string): boolean => {
  if (pattern === subject) return true
  const want = pattern.split('.')
  const have = subject.split('.')
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i
    if (i >= have.length) return false
    if (want[i] !== '*' && want[i] !== have[i]) return false
  }
  return want.length === have.length
}
