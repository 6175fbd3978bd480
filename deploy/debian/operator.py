#!/usr/bin/env python3
"""What a new operator does first on the installed package, over HTTPS:
signs in as the first admin with the password the first start printed,
chooses their own, creates an agent and the agent's SIP phone, and prints
the phone's secret (for the SIPp phone that registers with it).

  operator.py BASE_URL CA_FILE FIRST_PASSWORD NEW_PASSWORD AGENT

Only the standard library: the certificate is checked against CA_FILE
(the self-signed one the first start made) and the host name in BASE_URL.
"""
import http.cookiejar
import json
import ssl
import sys
import urllib.error
import urllib.request

base, ca_file, first_password, new_password, agent = sys.argv[1:6]
tls = ssl.create_default_context(cafile=ca_file)
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(
    urllib.request.HTTPSHandler(context=tls), urllib.request.HTTPCookieProcessor(jar)
)
csrf = None


def call(method, path, body=None, expect=200):
    headers = {"Content-Type": "application/json", "Origin": base}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=20) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if status != expect:
        sys.exit(f"{method} {path}: {status} (wanted {expect}): {text}")
    return json.loads(text) if text else None


answer = call("POST", "/api/login", {"login": "admin", "password": first_password})
csrf = answer["csrf_token"]
# The printed password must be replaced before anything else.
call("GET", "/api/admin/users", expect=403)
call("POST", "/api/me/password", {"current": first_password, "new": new_password}, expect=204)
users = call("GET", "/api/admin/users")
made = call(
    "POST",
    "/api/admin/users",
    {
        "login": agent,
        "role": "agent",
        "display_name": "Agent of the package test",
        "skills": [{"skill": "general", "level": 5}],
    },
    expect=201,
)
assert made["user"]["login"] == agent and len(made["one_time_password"]) >= 16, made
phone = call("POST", "/api/admin/phones", {"login": agent}, expect=201)
assert phone["phone"]["login"] == agent, phone
assert "secret" not in json.dumps(phone["phone"]), "the phone account shows no secret"
print(phone["secret"])
print(f"operator: signed in, chose a password, made {agent} and a phone ({len(users) + 1} accounts)", file=sys.stderr)
