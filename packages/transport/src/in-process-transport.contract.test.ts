import { InProcessTransport } from './in-process-transport.js'
import { transportContract } from './test-support/transport-contract.js'

transportContract(
  'InProcessTransport',
  async () => {
    const transport = new InProcessTransport()
    return { a: transport, b: transport, close: () => transport.close() }
  },
  // Subscriptions take effect at once.
  async () => {},
)
