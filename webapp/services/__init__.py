"""Services: the use cases. They own the rules and the transactions."""
