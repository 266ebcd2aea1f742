import { mergeConfig } from 'vitest/config'
import shared from '../vitest.shared.js'

// Multi-process fault tests and packing the packages take longer than a unit test.
export default mergeConfig(shared, { test: { testTimeout: 120_000 } })
