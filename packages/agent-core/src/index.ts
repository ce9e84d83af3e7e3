// Public surface of @guruconnect/agent-core. Filled in by its issue.
export {};
