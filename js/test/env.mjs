// What a JS test does when a tool it drives is missing (go for the native
// side of a parity test, typescript, chromium): under make, which installs
// them first and sets TOLLGATE_REQUIRE_TOOLS=1, it fails; under a plain
// `node --test` on a developer's machine it skips. Go's internal/testenv
// is the same rule.

export const required = process.env.TOLLGATE_REQUIRE_TOOLS === '1' || !!process.env.CI;

/**
 * Returns false (run the test) when ok; otherwise a skip message, or, when
 * tools are required, throws so that the test fails.
 */
export function need(what, ok, install) {
  if (ok) return false;
  if (required) throw new Error(`${what} is not installed, and TOLLGATE_REQUIRE_TOOLS=1 (make test) requires it: ${install}`);
  return `${what} is not installed (${install}; under make test this fails)`;
}
