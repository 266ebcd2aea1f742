export * from './errors.js'
export { InProcessTransport } from './in-process-transport.js'
export { subjectMatches, validatePublishSubject, validateSubscribeSubject } from './subject.js'
export type { MessageHandler, PublishOptions, RequestOptions, Subscription, Transport, TransportMessage } from './transport.js'
