/**
 * A RecordBatch v2 written by KafkaJS 2.2.4 (src/protocol/recordBatch/v0 with record/v0), kept so
 * the byte-for-byte check against it survives without KafkaJS. Its input is `kafkajsGoldenInput`:
 * baseOffset 42, partitionLeaderEpoch -1, producerId 1234, producerEpoch 3, baseSequence 7,
 * create time, no compression, three records at baseTimestamp 1700000000000 (+0, +5, +2).
 */
export const kafkajsGoldenBatchHex =
  '000000000000002a00000064ffffffff028a476be30000000000020000018bcfe568000000018bcfe5680500000000000004d2' +
  '000300000007000000032e000000046b310a68656c6c6f020a74726163650661626310000a02010476320022000404046b3301' +
  '0402610004c3a90400ff'
