#!/bin/sh
# Runs hotlint inside a Bazel action: the program $HOTLINT names (pass it with
# --action_env=HOTLINT=/path/to/hotlint), else `hotlint` on the action's PATH.
exec "${HOTLINT:-hotlint}" "$@"
