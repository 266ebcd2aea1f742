/** A config value as typed on a command line or in a file: a number, a boolean, null or JSON when it looks like one, else the text. */
export const parseConfigValue = (text: string): unknown => {
  if (text === 'true' || text === 'false' || text === 'null') return JSON.parse(text)
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text)
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}
