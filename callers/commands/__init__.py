"""One module per command group. `callers.cli` finds every module here that
defines `register(subparsers, common)` and adds its commands, in `ORDER`.

A command's handler takes the parsed arguments and returns an exit code; it
raises `CallersError` for anything the user should read.
"""
