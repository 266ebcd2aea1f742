export { eventually, type EventuallyOptions } from './eventually.js'
export { tempDir } from './temp-dirs.js'
export { rejectionOf, thrownBy, type TestError } from './thrown.js'
