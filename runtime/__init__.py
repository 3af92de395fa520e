"""The runtime: the `liaison` command, the supervised stack, embedded Redis, child processes."""
