// Whether `npm test`'s output may carry colour: only when it goes to a terminal. Nx sets
// FORCE_COLOR for the tasks it runs, so piped output (CI, `npm test | tee`) would otherwise be
// full of escape codes; NO_COLOR and FORCE_COLOR=0 turn them off for Nx, vitest and Node alike.
export const colourEnv = (stdoutIsTTY, env) => (stdoutIsTTY ? env : { ...env, FORCE_COLOR: '0', NO_COLOR: '1' })
