#!/bin/bash
# Stand-in AGENTMUX_CLAUDE_BIN for bench/turn-overhead.ts: appends its own start time (wall clock,
# µs, bash's builtin $EPOCHREALTIME: no fork) to $BENCH_SPAWN_LOG, then becomes the fake claude.
[ -n "$BENCH_SPAWN_LOG" ] && printf '%s\n' "$EPOCHREALTIME" >> "$BENCH_SPAWN_LOG"
exec "${0%/*}/../tests/fixtures/fake-claude.mjs" "$@"
