#!/usr/bin/env bash
# The working tree as git sees it (tracked files, and untracked files that .gitignore does not
# cover) summed up as one git tree id, so a build or test run that rewrites a tracked file or leaves
# a stray generated file behind can be caught.
#   scripts/tree-state.sh id             prints the id (make test records it before deps and build)
#   scripts/tree-state.sh check [BEFORE] compares the tree now with BEFORE (default: $HV_TREE_BEFORE,
#                                        else HEAD, i.e. a clean checkout); lists the changed paths
#                                        and exits 1 when they differ
set -euo pipefail
cd "$(dirname "$0")/.."

tree_id() {
  # A scratch copy of the index, so the real one (and the user's staging) is never touched.
  local index
  index=$(mktemp)
  cp "$(git rev-parse --git-path index)" "$index"
  GIT_INDEX_FILE=$index git add -A .
  GIT_INDEX_FILE=$index git write-tree
  rm -f "$index"
}

case "${1:-}" in
  id) tree_id ;;
  check)
    before=${2:-${HV_TREE_BEFORE:-}}
    [ -n "$before" ] || before=$(git rev-parse 'HEAD^{tree}')
    after=$(tree_id)
    if [ "$before" = "$after" ]; then
      echo "tree-state: the working tree is as it was before the run"
      exit 0
    fi
    echo "tree-state: the run changed the working tree (tracked files rewritten, or generated files"
    echo "that .gitignore should cover):"
    git diff-tree -r --name-status "$before" "$after" | sed 's/^/  /'
    exit 1
    ;;
  *) echo "usage: scripts/tree-state.sh id | check [BEFORE]" >&2; exit 2 ;;
esac
