// Public surface of @guruconnect/relay-core. Filled in by its issue.
export {};
