#!/usr/bin/env bash
# Our extra cases are recorded with the corpus: testdata/record.sh records both from the real
# tools (arguments: name filters, as there).
exec "$(dirname "$0")/../record.sh" "$@"
