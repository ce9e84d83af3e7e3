// Public surface of @guruconnect/server-kit. Filled in by its issue.
export {};
