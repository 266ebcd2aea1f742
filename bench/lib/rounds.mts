// Measurements run in turn, several rounds over, so that a row and its baseline meet the same
// load. Each row keeps its median round (by time); its ratio to its baseline is the median of
// the ratios taken within each round, so that a slow spell in one round moves both sides of it.
import type { Row } from './report.mjs'

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const rate = (row: Row): number => row.records / row.seconds

export const medianOfRounds = async (rounds: number, round: (index: number) => Promise<Row[]>): Promise<Row[]> => {
  const byName = new Map<string, Row[]>()
  const ratios = new Map<string, number[]>()
  for (let index = 0; index < rounds; index++) {
    const rows = await round(index)
    for (const row of rows) {
      byName.set(row.name, [...(byName.get(row.name) ?? []), row])
      if (row.baseline === undefined) continue
      const baseline = rows.find((other) => other.name === row.baseline)
      if (baseline === undefined) throw new Error(`row ${row.name}: no baseline row named ${row.baseline} in round ${index}`)
      ratios.set(row.name, [...(ratios.get(row.name) ?? []), rate(row) / rate(baseline)])
    }
  }
  return [...byName.values()].map((runs) => {
    const middle = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!
    const note = `median of ${runs.length} rounds`
    const ratio = ratios.get(middle.name)
    return { ...middle, note: middle.note === undefined ? note : `${middle.note}; ${note}`, ...(ratio === undefined ? {} : { ratio: median(ratio) }) }
  })
}
