"""Schemathesis hooks for tests/api_fuzz/run.sh.

- The admins' routes take an account's login in the path; schemathesis
  finds real logins in earlier answers and would reset or change the very
  account it is signed in as, which ends its own session (every later
  answer a 401). The run's own login (HOTLINE_FUZZ_LOGIN) is kept out of
  those paths; every other account is fair game.
- Open311 wants a configured client's api_key, which no generator guesses:
  where a request has one, it is the fuzz client's (HOTLINE_FUZZ_OPEN311_KEY),
  so the answers past the key are fuzzed too; requests without one still
  get their 403.
"""

import os

import schemathesis

OWN_LOGIN = os.environ.get("HOTLINE_FUZZ_LOGIN", "")
OPEN311_KEY = os.environ.get("HOTLINE_FUZZ_OPEN311_KEY", "")


def _open311(ctx):
    operation = getattr(ctx, "operation", None)
    return bool(OPEN311_KEY) and operation is not None and operation.path.startswith("/open311/")


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    return not path_parameters or path_parameters.get("login") != OWN_LOGIN


@schemathesis.hook
def map_query(ctx, query):
    if _open311(ctx) and isinstance(query, dict) and "api_key" in query:
        query["api_key"] = OPEN311_KEY
    return query


@schemathesis.hook
def map_body(ctx, body):
    if _open311(ctx) and isinstance(body, dict) and "api_key" in body:
        body["api_key"] = OPEN311_KEY
    return body
