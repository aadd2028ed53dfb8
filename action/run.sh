#!/usr/bin/env bash
# The GitHub Action's one step (action.yml): the conformance CLI from the package, its flags built from
# the INPUT_* variables the step sets, the console report in the log (coloured: a CI log is no terminal),
# the Markdown report appended to the job summary. Exits as the CLI does: 0, 1 (failing checks), 2.
set -euo pipefail

args=(conformance --color "${INPUT_COLOR:-always}")
flag() { # flag NAME VALUE: --NAME VALUE when VALUE is not empty
  if [ -n "$2" ]; then args+=("--$1" "$2"); fi
}
flag url "${INPUT_URL:-}"
flag issuer "${INPUT_ISSUER:-}"
flag client-id "${INPUT_CLIENT_ID:-}"
flag client-secret-env "${INPUT_CLIENT_SECRET_ENV:-}"
flag auth "${INPUT_AUTH:-}"
flag scope "${INPUT_SCOPE:-}"
flag config "${INPUT_CONFIG:-}"
flag profile "${INPUT_PROFILE:-}"
flag fail-on "${INPUT_FAIL_ON:-}"
flag expect-failures "${INPUT_EXPECTED_FAILURES:-}"
case "${INPUT_STRICT_EXPECTED:-false}" in
  true) args+=(--strict-expected) ;;
  false | '') ;;
  *) echo "strict-expected must be true or false, got '${INPUT_STRICT_EXPECTED}'" >&2; exit 2 ;;
esac

args+=(--reporter console)
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then args+=(--reporter markdown --output "$GITHUB_STEP_SUMMARY"); fi
if [ -n "${INPUT_JUNIT:-}" ]; then args+=(--reporter junit --output "$INPUT_JUNIT"); fi
if [ -n "${INPUT_HTML:-}" ]; then args+=(--reporter html --output "$INPUT_HTML"); fi

# More flags, split on whitespace, lines included (a YAML block); no globbing of their words.
if [ -n "${INPUT_ARGS:-}" ]; then
  set -f
  read -r -d '' -a extra <<< "$INPUT_ARGS" || true
  set +f
  args+=("${extra[@]}")
fi

# A pinned action runs the CLI of its own release: the version in the action's package.json.
package="${INPUT_PACKAGE:-}"
if [ -z "$package" ]; then
  version="$(node -p 'require(process.argv[1]).version' "${GITHUB_ACTION_PATH:-$(dirname "$0")/..}/package.json")"
  package="attesto-token-contract@${version}"
fi

exec npm exec --yes --package "$package" -- token-contract "${args[@]}"
