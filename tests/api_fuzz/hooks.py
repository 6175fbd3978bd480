"""Schemathesis hooks for tests/api_fuzz/run.sh.

The admins' routes take an account's login in the path; schemathesis finds
real logins in earlier answers and would reset or change the very account
it is signed in as, which ends its own session (every later answer a 401).
The run's own login (HOTLINE_FUZZ_LOGIN) is kept out of those paths; every
other account is fair game.
"""

import os

import schemathesis

OWN_LOGIN = os.environ.get("HOTLINE_FUZZ_LOGIN", "")


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    return not path_parameters or path_parameters.get("login") != OWN_LOGIN
