/**
 * Node flags the agent runs with (the `gc-agent` shebang passes the same through `env -S`;
 * the systemd unit passes these). `--single-threaded-gc`: V8's parallel and concurrent GC
 * helper threads compete with capture and encoding on the small machines an agent runs on; on
 * two cores they stretched pauses to 5–20 ms in front of input. Single-threaded, the full-screen
 * noise benchmark shows no pause of 5 ms or more and 15 % less agent CPU (bench/RESULTS.md).
 * V8 refuses this flag once started (`v8.setFlagsFromString` aborts), so it must be on the
 * command line.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
