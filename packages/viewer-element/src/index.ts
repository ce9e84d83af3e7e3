// Public surface of @guruconnect/viewer-element. Filled in by its issue.
export {};
