"""One default TLS context for every httpx client made in the test process.

httpx builds a fresh SSLContext for each client (and each transport it mounts), loading a whole CA bundle
(SSL_CERT_FILE's, or certifi's): 12-20 ms of CPU a time. The tests make thousands of clients (every TestClient
is one, and most talk plain HTTP to 127.0.0.1), which came to some 8% of the in-process tests' time. The
default context is the same each time for the same SSL_CERT_FILE and SSL_CERT_DIR, so it is made once and
handed to every client that asks for the default; any other `verify` or `cert` still gets one of its own.
Should a later httpx move the function, nothing is patched and the tests are only slower.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import Any


def share_the_default_tls_context() -> None:
    try:
        from httpx._transports import default
    except ImportError:
        return
    make = getattr(default, "create_ssl_context", None)
    if make is None or getattr(make, "shares_the_default", False):
        return
    @functools.cache
    def shared(trust_env: bool, cafile: str | None, capath: str | None) -> ssl.SSLContext:
        return make(verify=True, cert=None, trust_env=trust_env)  # reads the same two variables

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and cert is None:
            return shared(trust_env, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        return make(verify=verify, cert=cert, trust_env=trust_env)

    create_ssl_context.shares_the_default = True  # type: ignore[attr-defined]
    default.create_ssl_context = create_ssl_context
