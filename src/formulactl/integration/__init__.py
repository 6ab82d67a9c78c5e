"""Git hooks, the CI check, pull-request review and the record merge driver."""
